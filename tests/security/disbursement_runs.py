"""Disbursement runs through the HTTP API, shared by the security tests that pay one: an
approved run paying the pensioner (by personal number), its execution, and the ledger's
own verification."""

from __future__ import annotations

import time
from typing import Any, Final

from digisom.kernel.access import Role
from digisom.ledger.audit import verify
from digisom.stores.url import open_store
from tests.api.world import World

PENSIONER_PIN: Final = "21203195000111"
POLL_TIMEOUT_S: Final = 60.0


def approved_run(world: World, amount_tyiyn: int, programme_id: str = "pensions") -> str:
    """Register the pensioner's alias, upload a one-row run of `programme_id` paying
    `amount_tyiyn`, and have a second operator approve it; the run's id."""
    world.tokens["treasury_supervisor"] = world.runtime.issuer.issue(Role.TREASURY_OPERATOR, "treasury-supervisor")
    world.ok(world.client.put(f"/v1/aliases/{PENSIONER_PIN}", json={"wallet_id": world.wallets["pensioner"]},
                              headers=world.headers("commercial_bank", "alias-pensioner")))
    data = f"pin,amount_tyiyn,name,region\n{PENSIONER_PIN},{amount_tyiyn},Pensioner,Naryn\n".encode()
    headers = {**world.headers("treasury_operator", "run-1"), "Content-Type": "text/csv"}
    run_id = str(world.ok(world.client.post(f"/v1/disbursement/programmes/{programme_id}/runs",
                                            params={"period": "2026-11"}, content=data, headers=headers), 201)["id"])
    world.ok(world.post("treasury_supervisor", f"/v1/disbursement/runs/{run_id}/approval"))
    return run_id


def settled(world: World, run_id: str) -> dict[str, Any]:
    """Start execution and poll until this process's worker stopped; the run as read then."""
    assert world.post("treasury_operator", f"/v1/disbursement/runs/{run_id}/execution").status_code == 202
    deadline = time.monotonic() + POLL_TIMEOUT_S
    while (run := world.ok(world.get("auditor", f"/v1/disbursement/runs/{run_id}")))["worker_running"]:
        assert time.monotonic() < deadline, run
        time.sleep(0.05)
    return run


def assert_ledger_verifies(world: World) -> None:
    """The ledger's hash chain and every balance replay cleanly."""
    store = open_store(world.runtime.db_url)
    try:
        assert verify(store).ok
    finally:
        store.close()
