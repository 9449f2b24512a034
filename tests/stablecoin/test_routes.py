"""The public register and reserve routes: no token needed, amounts as integer strings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from digisom.api.runtime import Runtime, build
from digisom.http.services import filled
from digisom.registry.http.slots import ASSET_REGISTER
from digisom.registry.known_assets import kgst_application
from digisom.stablecoin import repository
from digisom.stablecoin.model import ReserveReport

TOKEN = "0x912817DF5ee9b07a002D0F24D024d8C328091088"


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    built = build(data_dir=tmp_path)
    try:
        yield built
    finally:
        built.close()


def test_register_and_reserve_are_public(runtime: Runtime) -> None:
    engine = runtime.service.ctx.engine
    client = TestClient(runtime.app)
    assert client.get("/v1/registry/assets").json() == {"items": []}
    filled(runtime.app, ASSET_REGISTER).ensure_registered(kgst_application(56, TOKEN, 2, "ab" * 32, "L-1"),
                                                          "registrar:-:r", "listed")
    (entry,) = client.get("/v1/registry/assets").json()["items"]
    assert (entry["symbol"], entry["chain_id"], entry["contract_address"], entry["decimals"]) == ("KGST", 56, TOKEN, 2)

    assert client.get(f"/v1/stablecoin/reserve/{TOKEN}").status_code == 404
    report = ReserveReport(56, TOKEN, 2, 1_900_00, 1_900_00, 1_900_00, 0, 0, 0, "2026-11-23T00:00:00Z")
    with engine.begin() as conn:
        repository.insert_report(conn, report)
    published = client.get(f"/v1/stablecoin/reserve/{TOKEN.lower()}").json()
    assert published["supply_tyiyn"] == published["reserve_tyiyn"] == "190000"
    assert published["balanced"] is True
    bad = client.get("/v1/stablecoin/reserve/0x00")
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
