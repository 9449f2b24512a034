"""Proposals, approvals and executions against a real wallet (in-process EVM and anvil):
the policy's refusals happen off chain, are kept in the history, and the wallet refuses
the same movement on chain."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from digisom.chain.contracts import Artifact
from digisom.reserve import proposals, tables
from digisom.reserve.errors import (
    DestinationNotAllowed,
    DuplicateApproval,
    MultisigRefused,
    NotAnOfficer,
    NotEnoughApprovals,
    PolicyInvalid,
    ProposalExpired,
    ProposalNotOpen,
    SignatureInvalid,
    TimeLocked,
)
from digisom.reserve.policy import parse_policy
from digisom.reserve.typed import sign_typed
from tests.reserve.conftest import Backend, key
from tests.reserve.reserve_world import BNB, OFFICERS, TIME_LOCK_S, WINDOW_S, ReserveWorld, officer_key, policy_text

ONE, TWO, THREE = OFFICERS


@pytest.fixture
def world(tmp_path: Path, backend: Backend, multisig_artifact: Artifact) -> Iterator[ReserveWorld]:
    built = ReserveWorld(tmp_path, backend, multisig_artifact)
    yield built
    built.engine.dispose()


def propose(world: ReserveWorld, proposal_id: str, amount_units: int, destination: str | None = None,
            officer: str = ONE) -> proposals.Proposal:
    return proposals.propose(world.engine, world.policy, world.custody, proposal_id, officer, "BNB",
                             destination or key("dest").address, amount_units, world.now_s)


def approve(world: ReserveWorld, proposal: proposals.Proposal, officer: str) -> proposals.Proposal:
    signature = sign_typed(officer_key(officer).key, proposal.tx.typed_data())
    return proposals.approve(world.engine, world.policy, proposal.proposal_id, signature, officer, world.now_s)


def kinds(world: ReserveWorld, proposal_id: str) -> list[str]:
    return [row["kind"] for row in proposals.history(world.engine, proposal_id)]


def test_two_approvals_move_a_small_amount(world: ReserveWorld) -> None:
    proposal = propose(world, "p-small", BNB // 2)
    assert proposal.approvals_required == 2 and not proposal.time_locked
    approve(world, proposal, ONE)
    with pytest.raises(NotEnoughApprovals):  # one approval is not enough
        proposals.execute(world.engine, world.policy, world.custody, "p-small", ONE, world.now_s)
    approve(world, proposal, THREE)
    done = proposals.execute(world.engine, world.policy, world.custody, "p-small", TWO, world.now_s)
    assert done.state == "executed" and done.executed_tx
    assert world.backend.balance(key("dest").address) == BNB // 2
    assert kinds(world, "p-small") == ["proposed", "approved", "refused", "approved", "executed"]
    with pytest.raises(ProposalNotOpen):
        proposals.execute(world.engine, world.policy, world.custody, "p-small", TWO, world.now_s)


def test_too_few_approvals_refused_off_chain_and_on_chain(world: ReserveWorld) -> None:
    proposal = approve(world, propose(world, "p-few", BNB // 2), TWO)
    with pytest.raises(NotEnoughApprovals):
        proposals.execute(world.engine, world.policy, world.custody, "p-few", TWO, world.now_s)
    with pytest.raises(MultisigRefused):  # the same single approval sent to the wallet directly
        world.wallet.execute(world.backend.relayer, proposal.tx, proposals.signatures_of(proposal.approvals))
    assert world.backend.balance(key("dest").address) == 0
    assert proposals.read(world.engine, "p-few").state == "open"


def test_destination_off_the_allow_list_refused_off_chain_and_on_chain(world: ReserveWorld) -> None:
    thief = key("thief").address
    with pytest.raises(DestinationNotAllowed):
        propose(world, "p-thief", BNB // 2, destination=thief)
    assert kinds(world, "p-thief") == ["refused"]
    tx = world.wallet.tx(thief, BNB // 2, b"")
    with pytest.raises(MultisigRefused, match="destination not allowed"):
        world.wallet.execute(world.backend.relayer, tx, world.sign(tx.typed_data(), OFFICERS))
    assert world.backend.balance(thief) == 0


def test_large_movement_waits_for_the_time_lock_off_chain_and_on_chain(world: ReserveWorld) -> None:
    proposal = propose(world, "p-large", 50 * BNB)
    assert proposal.approvals_required == 3 and proposal.time_locked
    for officer in (ONE, TWO):
        approve(world, proposal, officer)
    with pytest.raises(NotEnoughApprovals):  # the band needs three, though the wallet's floor is two
        proposals.execute(world.engine, world.policy, world.custody, "p-large", ONE, world.now_s)
    proposal = approve(world, proposal, THREE)
    queued = proposals.execute(world.engine, world.policy, world.custody, "p-large", ONE, world.now_s)
    assert queued.state == "queued" and queued.executable_at_s == world.now_s + TIME_LOCK_S
    with pytest.raises(TimeLocked):
        proposals.execute(world.engine, world.policy, world.custody, "p-large", ONE, world.now_s + TIME_LOCK_S - 1)
    with pytest.raises(MultisigRefused, match="inside the time lock"):  # the wallet holds it too
        world.wallet.execute(world.backend.relayer, proposal.tx, proposals.signatures_of(proposal.approvals))
    world.backend.advance(TIME_LOCK_S)
    done = proposals.execute(world.engine, world.policy, world.custody, "p-large", ONE, world.now_s + TIME_LOCK_S)
    assert done.state == "executed"
    assert world.backend.balance(key("dest").address) == 50 * BNB


def test_signatures_are_verified_before_anything_is_stored(world: ReserveWorld) -> None:
    proposal = propose(world, "p-sig", BNB // 2)
    stranger = sign_typed(key("stranger").key, proposal.tx.typed_data())
    with pytest.raises(NotAnOfficer):
        proposals.approve(world.engine, world.policy, "p-sig", stranger, ONE, world.now_s)
    other = proposals.movement_tx(world.policy.asset("BNB"), proposal.tx.chain_id, proposal.tx.wallet,
                                  proposal.destination, BNB // 4, proposal.tx.nonce)
    over_another = sign_typed(officer_key(ONE).key, other.typed_data())
    with pytest.raises(NotAnOfficer):  # recovers to some other address, not an officer
        proposals.approve(world.engine, world.policy, "p-sig", over_another, ONE, world.now_s)
    with pytest.raises(SignatureInvalid):
        proposals.approve(world.engine, world.policy, "p-sig", b"\x01" * 64, ONE, world.now_s)
    assert proposals.read(world.engine, "p-sig").approvals == ()
    approve(world, proposal, ONE)
    with pytest.raises(DuplicateApproval):
        approve(world, proposal, ONE)
    assert [a.officer_id for a in proposals.read(world.engine, "p-sig").approvals] == [ONE]
    assert kinds(world, "p-sig") == ["proposed", "refused", "refused", "refused", "approved", "refused"]


def test_the_database_refuses_a_second_approval_by_one_signer(world: ReserveWorld) -> None:
    proposal = approve(world, propose(world, "p-db", BNB // 2), ONE)
    row = {"proposal_id": "p-db", "signer": proposal.approvals[0].signer, "officer_id": ONE,
           "signature": "00" * 65, "submitted_by": ONE, "approved_at_s": 1}
    with pytest.raises(IntegrityError), world.engine.begin() as conn:
        conn.execute(insert(tables.approvals).values(**row))


def test_a_proposal_expires_and_the_expiry_is_kept(world: ReserveWorld) -> None:
    proposal = propose(world, "p-late", BNB // 2)
    world.now_s += WINDOW_S
    with pytest.raises(ProposalExpired):
        approve(world, proposal, ONE)
    assert proposals.read(world.engine, "p-late").state == "expired"
    assert kinds(world, "p-late") == ["proposed", "expired", "refused"]
    # The expired proposal's nonce is free again for the next proposal.
    assert propose(world, "p-next", BNB // 2).tx.nonce == proposal.tx.nonce


def test_a_removed_officers_approval_no_longer_counts(world: ReserveWorld) -> None:
    proposal = propose(world, "p-removed", BNB // 2)
    for officer in (ONE, THREE):
        approve(world, proposal, officer)
    officers = (ONE, TWO, "reserve-officer-4")
    without_three = parse_policy(policy_text(world.policy.chain_id, world.policy.wallet, officers))
    with pytest.raises(NotEnoughApprovals):
        proposals.execute(world.engine, without_three, world.custody, "p-removed", ONE, world.now_s)


def test_non_officers_and_amounts_outside_the_bands_cannot_propose(world: ReserveWorld) -> None:
    with pytest.raises(NotAnOfficer):
        propose(world, "p-x", BNB, officer="cashier")
    with pytest.raises(PolicyInvalid):
        propose(world, "p-y", 101 * BNB)
    with pytest.raises(PolicyInvalid):
        propose(world, "p-z", 0)
    with world.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tables.proposals)).scalar() == 0
        assert conn.execute(select(func.count()).select_from(tables.history)).scalar() == 3  # the three refusals, kept
