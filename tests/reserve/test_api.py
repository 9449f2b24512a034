"""/v1/reserve end to end on the in-process EVM: an officer proposes, one approval is not
enough, a second executes it; refusals are problems with stable types and stay in the
history; auditors read, other roles cannot write; a retried POST is the same proposal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digisom.api.reserve_wiring import ReserveSetup
from digisom.api.runtime import Runtime, build
from digisom.chain.contracts import Artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.chain.transactor import Transactor
from digisom.ledger.service import Ledger
from digisom.reserve.books import Books
from digisom.reserve.typed import MultisigTx, sign_typed
from digisom.stores.url import open_store
from tests.api.world import World
from tests.reserve.conftest import FUNDING_WEI, Backend, key
from tests.reserve.reserve_world import BNB, ReserveWorld, officer_key
from tests.stablecoin.conftest import CHAIN_ID


@pytest.fixture
def reserve(tmp_path: Path, multisig_artifact: Artifact) -> ReserveWorld:
    chain = EmbeddedChain(CHAIN_ID)
    backend = Backend("embedded", chain, Transactor(chain, key("relayer")))
    backend.fund(key("relayer").address, FUNDING_WEI)
    return ReserveWorld(tmp_path, backend, multisig_artifact)


@pytest.fixture
def world(tmp_path: Path, reserve: ReserveWorld) -> Iterator[World]:
    setup = ReserveSetup(reserve.policy, reserve.custody, Books(Ledger(open_store("memory:"))))
    runtime: Runtime = build(data_dir=tmp_path / "data", reserve=setup)
    yield World.create(runtime)
    runtime.close()


def signature(document: dict[str, object], officer: str) -> str:
    tx = document["transaction"]
    assert isinstance(tx, dict)
    typed = MultisigTx(tx["chain_id"], tx["wallet"], tx["to"], int(tx["value"]), bytes.fromhex(tx["data"][2:]),
                       tx["nonce"]).typed_data()
    return "0x" + sign_typed(officer_key(officer).key, typed).hex()


def test_propose_approve_execute_over_http(world: World, reserve: ReserveWorld) -> None:
    body = {"asset": "BNB", "destination": key("dest").address, "amount_units": str(BNB // 2)}
    made = world.ok(world.post("reserve_officer", "/v1/reserve/proposals", body, key="move-1"), 201)
    again = world.ok(world.post("reserve_officer", "/v1/reserve/proposals", body, key="move-1"), 201)
    assert again["proposal_id"] == made["proposal_id"] and made["approvals_required"] == 2
    path = f"/v1/reserve/proposals/{made['proposal_id']}"
    world.ok(world.post("reserve_officer", f"{path}/approvals",
                        {"signature": signature(made, "reserve-officer-1")}), 201)
    duplicate = world.post("reserve_officer", f"{path}/approvals", {"signature": signature(made, "reserve-officer-1")})
    assert duplicate.status_code == 409
    too_few = world.post("reserve_officer", f"{path}/executions")
    assert too_few.status_code == 422 and too_few.json()["type"].endswith("reserve-not-enough-approvals")
    world.ok(world.post("second_reserve_officer", f"{path}/approvals",
                        {"signature": signature(made, "reserve-officer-2")}), 201)
    done = world.ok(world.post("second_reserve_officer", f"{path}/executions"), 201)
    assert done["state"] == "executed"
    assert reserve.backend.balance(key("dest").address) == BNB // 2
    assert world.ok(world.get("auditor", path))["state"] == "executed"
    kinds = [row["kind"] for row in world.ok(world.get("auditor", "/v1/reserve/history"))["items"]]
    assert kinds == ["proposed", "approved", "refused", "refused", "approved", "executed"]


def test_refusals_over_http(world: World, reserve: ReserveWorld) -> None:
    thief = {"asset": "BNB", "destination": key("thief").address, "amount_units": str(BNB // 2)}
    refused = world.post("reserve_officer", "/v1/reserve/proposals", thief)
    assert refused.status_code == 422 and refused.json()["type"].endswith("reserve-destination-not-allowed")
    fine = {"asset": "BNB", "destination": key("dest").address, "amount_units": "1"}
    assert world.post("vasp", "/v1/reserve/proposals", fine).status_code == 403
    assert world.post("auditor", "/v1/reserve/proposals", fine).status_code == 403
    assert world.get(None, "/v1/reserve/proposals").status_code in (401, 403)
    made = world.ok(world.post("reserve_officer", "/v1/reserve/proposals", fine), 201)
    stranger = "0x" + sign_typed(key("stranger").key, MultisigTx(
        CHAIN_ID, reserve.wallet.address, key("dest").address, 1, b"", 0).typed_data()).hex()
    answer = world.post("reserve_officer", f"/v1/reserve/proposals/{made['proposal_id']}/approvals",
                        {"signature": stranger})
    assert answer.status_code == 403
    holdings = world.ok(world.get("auditor", "/v1/reserve/holdings"))["items"]
    assert [h["asset"] for h in holdings] == ["BNB"]
    assert world.ok(world.get(None, "/v1/reserve/publications"))["items"] == []


def _follow(world: World, who: str, path: str) -> tuple[list[dict[str, object]], int]:
    """Every item of a paged list, two at a time, and how many pages it took."""
    items, params, pages = [], {"limit": 2}, 0
    while True:
        page = world.ok(world.get(who, path, **params))
        items += page["items"]
        pages += 1
        if page["next_cursor"] is None:
            return items, pages
        params = {"limit": 2, "cursor": page["next_cursor"]}


def test_proposals_and_history_come_in_pages(world: World) -> None:
    """Both lists used to stop: proposals at the newest hundred, history never (whole)."""
    made = [world.ok(world.post("reserve_officer", "/v1/reserve/proposals",
                                {"asset": "BNB", "destination": key("dest").address, "amount_units": str(n)},
                                key=f"paged-{n}"), 201)["proposal_id"] for n in (1, 2, 3)]
    whole = world.ok(world.get("auditor", "/v1/reserve/proposals", limit=200))
    assert whole["next_cursor"] is None and sorted(p["proposal_id"] for p in whole["items"]) == sorted(made)
    paged, pages = _follow(world, "auditor", "/v1/reserve/proposals")
    assert [p["proposal_id"] for p in paged] == [p["proposal_id"] for p in whole["items"]] and pages == 2
    history = world.ok(world.get("auditor", "/v1/reserve/history", limit=200))["items"]
    assert [row["kind"] for row in history] == ["proposed"] * 3
    paged_history, pages = _follow(world, "auditor", "/v1/reserve/history")
    assert paged_history == history and pages == 2
    for path in ("/v1/reserve/proposals", "/v1/reserve/history", "/v1/reserve/publications"):
        assert world.get("auditor", path, cursor="not-a-cursor").status_code == 422
        assert world.get("auditor", path, limit=0).status_code == 422
