"""The USDKG demo chapter: minting on chains 1 and 56 through the issuer, a mint beyond
coverage and one during an unresolved audit refused, minting resumed on the auditor's
resolution, each chain's supply what the issuer minted there; and a second run on the
same data folder is told once: it checks the books the first run left."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from digisom.api.runtime import domain_engine
from digisom.api.signing_key import KEY_FILE_NAME, load_key
from digisom.demos.usdkg import run_usdkg_demo
from digisom.demos.world import DemoWorld
from digisom.kernel.clock import utc_now
from digisom.registry.chain import verify_chain
from digisom.registry.log import EventLog


def test_the_chapter_stops_and_resumes_minting(tmp_path: Path) -> None:
    out = io.StringIO()
    assert run_usdkg_demo(DemoWorld(tmp_path / "data"), tmp_path / "out", Console(file=out, width=200))
    text = out.getvalue()
    for said in ("10 bars", "missing_bar", "refused: coverage_floor", "refused: audit_unresolved",
                 "mint-56-2: ", "Coverage after the resolution"):
        assert said in text
    report = json.loads((tmp_path / "out" / "reports" / "usdkg_demo.json").read_text())
    assert report["ok"] and report["floor_refused"] and report["replay_same"] and report["resumed"]
    assert report["refused_rule"] == "audit_unresolved"
    minted = {1: 0, 56: 0}
    for op in report["operations"]:
        minted[op["chain_id"]] += int(op["amount_units"])
    assert [op["operation_id"] for op in report["operations"]] == ["mint-1-1", "mint-56-1", "mint-56-2"]
    assert {int(k): int(v) for k, v in report["supply_units_by_chain"].items()} == minted
    assert minted[1] > 0 and minted[56] > 0
    last = report["figures"][-1]
    assert {int(k): int(v) for k, v in last["supply_units_by_chain"].items()} == minted
    # The reserve covers what was minted, and the first figure was taken before the third mint.
    assert int(last["reserve_value_cents"]) * 10_000 >= sum(minted.values())
    assert int(report["figures"][0]["supply_units"]) < int(last["supply_units"])
    assert run_usdkg_demo(DemoWorld(tmp_path / "data"), None, Console(file=io.StringIO()))


def test_the_issuer_registers_usdkg_through_the_signed_register(tmp_path: Path) -> None:
    assert run_usdkg_demo(DemoWorld(tmp_path / "data"), tmp_path / "out", Console(file=io.StringIO()))
    entry = json.loads((tmp_path / "out" / "reports" / "usdkg_demo.json").read_text())["register_entry"]
    assert (entry["symbol"], entry["status"], entry["kind"]) == ("USDKG", "registered", "commodity_backed")
    assert [(c["chain_id"], c["decimals"], c["standard"]) for c in entry["chains"]] == [(1, 6, "ERC-20"),
                                                                                       (56, 6, "ERC-20")]
    # The entry is the fold of signed events an outsider verifies with the folder's service key.
    engine = domain_engine(DemoWorld(tmp_path / "data").db_url)
    try:
        log = EventLog(engine, load_key(tmp_path / "data" / KEY_FILE_NAME), utc_now)
        export = log.export()
    finally:
        engine.dispose()
    assert [e["stream"] for e in export["events"]] == ["asset:USDKG"] * len(export["events"])
    assert verify_chain(export["events"], bytes.fromhex(export["public_key"])) == []
