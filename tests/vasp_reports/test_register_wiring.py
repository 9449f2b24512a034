"""Volume reports against the real register (issue 17): a VASP licensed by two registrars
through /v1/vasps reports a month signed with the key in its licence; a report signed with
another key, a pair on a delisted asset, and any report once the licence is suspended are
refused, each naming why."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from digisom.api.runtime import build
from digisom.vasp_reports import signing
from tests.api.world import World
from tests.vasp_reports.helpers import EXCHANGE, pair, report, sign

PROBLEMS = "https://digisom.kg/problems/"
REPORTS = f"/v1/vasps/{EXCHANGE}/reports"
GRANTED = datetime(2026, 10, 20, 9, 0, tzinfo=UTC)
REPORTING = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # November is over and not yet due


class Clock:
    """The runtime's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = GRANTED

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def setting(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[World, Clock, Ed25519PrivateKey]]:
    db_url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    clock = Clock()
    runtime = build(data_dir=tmp_path / "data", db_url=db_url, clock=clock)
    world = World.create(runtime)
    key = Ed25519PrivateKey.generate()
    for symbol, kind in (("KGST", "fiat_backed"), ("A7A5", "other")):
        world.ok(world.post("registrar", "/v1/register/assets", {
            "symbol": symbol, "name": symbol, "kind": kind, "issuer": f"{symbol} issuer", "issuer_licence": "L-1",
            "peg": "1:1", "white_paper_sha256": "ab" * 32,
            "chains": [{"chain_id": 56, "contract_address": "0x" + "12" * 20, "decimals": 2,
                        "standard": "BEP-20"}]}), 201)
        world.ok(world.post("registrar", f"/v1/register/assets/{symbol}/status",
                            {"status": "registered", "reason": "complete file"}))
    world.license_vasp(EXCHANGE, public_key_hex=signing.public_bytes(key).hex(),
                       expires_on=(GRANTED.date() + timedelta(days=365)).isoformat())
    clock.now = REPORTING
    yield world, clock, key
    runtime.close()


def _kgst_report() -> dict[str, Any]:
    return report(pairs=[pair("KGST", "KGS", 900_000_000, 900_000_000, 310)], assets=[])


def _body(key: Ed25519PrivateKey, data: dict[str, Any]) -> dict[str, Any]:
    return {"report": data, "signature": sign(key, data).hex()}


def test_a_licensed_vasp_reports_with_the_key_in_its_licence(
        setting: tuple[World, Clock, Ed25519PrivateKey]) -> None:
    world, _clock, key = setting
    forged = world.post("vasp", REPORTS, _body(Ed25519PrivateKey.generate(), _kgst_report()))
    assert forged.status_code in (401, 403, 422) and "signature" in forged.json()["type"], forged.text
    delisted = report(pairs=[pair("A7A5", "KGS", 1, 1, 1)], assets=[])
    world.ok(world.post("registrar", "/v1/register/assets/A7A5/status",
                        {"status": "delisted", "reason": "sanctioned issuer"}))
    refused = world.post("vasp", REPORTS, _body(key, delisted))
    assert refused.status_code == 422 and refused.json()["type"] == PROBLEMS + "vasp-report-asset-refused"
    accepted = world.ok(world.post("vasp", REPORTS, _body(key, _kgst_report())), 201)
    assert accepted["version"] == 1
    assert [item["report"]["version"] for item in world.ok(world.get(None, REPORTS, period="2026-11"))["items"]] == [1]


def test_a_suspended_licence_stops_reports(setting: tuple[World, Clock, Ed25519PrivateKey]) -> None:
    world, _clock, key = setting
    world.ok(world.post("registrar", f"/v1/vasps/{EXCHANGE}/suspension", {"reason": "late audit"}))
    refused = world.post("vasp", REPORTS, _body(key, _kgst_report()))
    assert refused.status_code in (403, 422) and "licen" in refused.json()["type"], refused.text
    assert world.ok(world.get(None, REPORTS, period="2026-11"))["items"] == []
