"""`digisom demo`: every chapter passes its checks, writes its outputs, leaves one world
that `digisom serve --data DIR` serves, and a second run over the same data folder pays
nobody twice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from digisom.api.workers import ServeSettings
from digisom.cli.main import app
from digisom.kernel.access import Role

SOM: Final = 100
# What the demo's chapters issue, less what they redeem (an independent count, from the stories):
# digital som 300,000 + 500,000 - 100,000; government payments 500,000; offline 500,000;
# KGST 500,000; remittances 3,000,000; the Karakol café's bank 500,000.
DEMO_CIRCULATION_TYIYN: Final = (700_000 + 500_000 + 500_000 + 500_000 + 3_000_000 + 500_000) * SOM


def test_demo_runs_twice_on_the_same_data_and_serve_serves_its_world(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "out"
    runner = CliRunner()
    first = runner.invoke(app, ["demo", "--data", str(data), "--out", str(out)])
    assert first.exit_code == 0, first.output
    for chapter in ("ledger", "digital som", "government payments", "interbank", "offline", "KGST", "USDKG",
                    "remittances", "register and reserves", "national crypto reserve", "merchants",
                    "public records"):
        assert f"{chapter}: checks passed" in first.output
    assert "Verification passed" in first.output
    balances = json.loads((out / "reports" / "balances.json").read_text())
    assert {b["id"] for b in balances} >= {"1", "101", "1001"}
    assert json.loads((out / "reports" / "verification.json").read_text())["ok"] is True
    assert (out / "reports" / "cafe_invoice_qr.svg").read_bytes().lstrip().startswith(b"<")
    messages = sorted((out / "messages").glob("*.xml"))
    assert messages, "the interbank chapter writes the ISO 20022 messages it produced and consumed"
    assert all(m.read_bytes().lstrip().startswith(b"<") for m in messages)
    served = _served_world(data)

    second = runner.invoke(app, ["demo", "--data", str(data)])
    assert second.exit_code == 0, second.output
    # The ledger chapter's fixed ids are answered idempotently the second time.
    assert "transfer 10: 1000000.00 KGS -> exists" in second.output
    assert "FAILED" not in second.output
    assert _served_world(data) == served, "the second run changed the world: something was paid twice"


def _served_world(data: Path) -> dict[str, Any]:
    """Read the demo's world through the API `digisom serve --data` builds; check it is all
    there and return what a second run must not change."""
    runtime = ServeSettings(str(data), None, None, None, None).build_runtime()
    client = TestClient(runtime.app)

    def get(path: str, role: Role | None = None, subject: str = "world-test", bank: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {runtime.issuer.issue(role, subject, bank)}"} if role else {}
        response = client.get(path, headers=headers)
        assert response.status_code == 200, f"{path}: {response.text[:300]}"
        return response.json()

    try:
        participants = {p["id"] for p in get("/v1/participants", Role.CENTRAL_BANK_OPERATOR)["items"]}
        assert participants >= {"ayil-bank", "bakai-bank", "treasury"}
        aggregate = get("/v1/public/aggregate")
        summary = get("/v1/issuance/summary", Role.CENTRAL_BANK_OPERATOR)
        assert int(aggregate["circulation_tyiyn"]) == DEMO_CIRCULATION_TYIYN
        assert int(summary["issuance_liability_tyiyn"]) == DEMO_CIRCULATION_TYIYN and summary["balanced"]
        holders = {w["holder_id"] for w in get("/v1/wallets", Role.BANK_OPERATOR, "ayil-ops", "AYIL")["items"]}
        assert holders >= {"pensioner", "aigul", "family", "farmer", "mother"}  # cbdc, government, offline, remittance
        pensions = get("/v1/disbursement/programmes/pensions", Role.TREASURY_OPERATOR)
        assert int(pensions["remaining_tyiyn"]) < int(pensions["budget_tyiyn"]), "the pension run paid"
        spending = {(c["programme_id"], c["region"]): c["payees"] for c in get("/v1/public/spending")["items"]}
        assert spending[("pensions", "Naryn")] == 5
        revoked = get("/v1/offline/revocation-list")["revoked_key_ids"]
        assert len(revoked) == 1, "the offline sync caught and revoked the copied phone"
        assets = {a["symbol"]: a for a in get("/v1/register/assets")["items"]}
        assert {s: a["status"] for s, a in assets.items()} == {"KGST": "registered", "USDKG": "registered"}
        (kgst,) = assets["KGST"]["chains"]
        reserve = get(f"/v1/stablecoin/reserve/{kgst['contract_address']}", Role.AUDITOR)
        assert reserve["balanced"] and int(reserve["reserve_tyiyn"]) > 0, "the KGST chapter's bridge is registered"
        assert len(get("/v1/vasps")["items"]) > 0
        partners = {p["partner_id"]: p["position_tyiyn"]
                    for p in get("/v1/remittances/partners", Role.CENTRAL_BANK_OPERATOR)["items"]}
        assert set(partners) == {"zolotaya-demo"}
        (audit,) = get("/v1/usdkg/audits")["items"]
        assert audit["resolved"]
        bars = get("/v1/usdkg/bars", Role.AUDITOR)["items"]
        assert len(bars) == 10
        return {"participants": participants, "circulation": aggregate["circulation_tyiyn"],
                "wallets": aggregate["wallets_open"], "holdings": summary["holdings_tyiyn"], "spending": spending,
                "revoked": revoked, "assets": assets, "partners": partners, "bars": bars}
    finally:
        runtime.close()
