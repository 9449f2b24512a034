"""The reserve observer runs as a worker of the API: started with the app, it books an
inflow seen on chain without anyone asking, and stops with the app."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from digisom.api.reserve_wiring import ReserveSetup
from digisom.api.runtime import build
from digisom.chain.model import TxRequest
from digisom.chain.transactor import sign
from digisom.kernel.access import Role
from tests.reserve.conftest import key
from tests.reserve.reserve_world import BNB, ReserveWorld
from tests.reserve.test_api import reserve

__all__ = ["reserve"]
WAIT_S = 10.0


def test_the_observer_worker_books_an_inflow_while_the_app_runs(tmp_path: Path, reserve: ReserveWorld) -> None:
    chain = reserve.backend.chain
    relayer = key("relayer")
    paid = sign(relayer, chain.chain_id(), TxRequest(reserve.wallet.address, b"", 100_000, BNB),
                chain.nonce(relayer.address), chain.fees())
    chain.broadcast(paid.raw)
    runtime = build(data_dir=tmp_path / "data", reserve=ReserveSetup(
        reserve.policy, reserve.custody, chain=chain, observe_every_s=0.05))
    try:
        auditor = {"Authorization": "Bearer " + runtime.issuer.issue(Role.AUDITOR, "auditor-1", None, 600)}
        with TestClient(runtime.app) as client:  # the app's start-up starts the worker
            deadline = time.monotonic() + WAIT_S
            posted = None
            while time.monotonic() < deadline:
                holdings = client.get("/v1/reserve/holdings", headers=auditor).json()["items"]
                posted = holdings[0]["posted_units"]
                if posted == str(BNB):
                    break
                time.sleep(0.05)
            assert posted == str(BNB)
    finally:
        runtime.close()


