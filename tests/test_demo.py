"""`digisom demo`: every chapter passes its checks, writes its outputs, and a second run
over the same data folder pays nobody twice."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from digisom.cli.main import app


def test_demo_runs_twice_on_the_same_data_and_writes_its_outputs(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--data", str(data), "--out", str(out)])
    assert first.exit_code == 0, first.output
    for chapter in ("ledger", "digital som", "government payments", "interbank", "offline", "KGST", "USDKG",
                    "remittances", "register and reserves", "merchants"):
        assert f"{chapter}: checks passed" in first.output
    assert "Verification passed" in first.output
    balances = json.loads((out / "reports" / "balances.json").read_text())
    assert {b["id"] for b in balances} >= {"1", "101", "1001"}
    assert json.loads((out / "reports" / "verification.json").read_text())["ok"] is True
    assert (out / "reports" / "cafe_invoice_qr.svg").read_bytes().lstrip().startswith(b"<")
    messages = sorted((out / "messages").glob("*.xml"))
    assert messages, "the interbank chapter writes the ISO 20022 messages it produced and consumed"
    assert all(m.read_bytes().lstrip().startswith(b"<") for m in messages)

    second = runner.invoke(app, ["demo", "--data", str(data)])
    assert second.exit_code == 0, second.output
    # The ledger chapter's fixed ids are answered idempotently the second time.
    assert "transfer 10: 1000000.00 KGS -> exists" in second.output
    assert "FAILED" not in second.output
