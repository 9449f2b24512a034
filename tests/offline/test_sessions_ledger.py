"""Property test against the ledger: random offline sessions with injected attacks
(clones, rollbacks, tampered balances, replays), synced into a real ledger in two
orders and then all over again. After every sync the ledger verifies, no money is
created (the holders' balances add up to what was issued), and every double use of a
counter and every overspend is caught and revoked; honest devices are never flagged.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digisom.ledger.audit import verify
from digisom.offline.payment import Payment
from digisom.offline.settlement import Finding, Fraud
from digisom.offline.sync_request import sign_sync_request
from tests.offline.ledger_world import LedgerWorld
from tests.offline.test_sessions import (
    CUMULATIVE_MAX_TYIYN,
    HOLDERS,
    PER_PAYMENT_MAX_TYIYN,
    Session,
    evidence,
    operations,
    run_operation,
)
from tests.offline.world import World, signer

FUNDING = st.lists(st.integers(0, CUMULATIVE_MAX_TYIYN), min_size=3, max_size=4)


def play(url: str, funding: list[int], ops: list[tuple[str, int, int, int]], reverse: bool) -> None:
    world = LedgerWorld(url)
    try:
        originals = [
            world.device(HOLDERS[i], amount, CUMULATIVE_MAX_TYIYN, PER_PAYMENT_MAX_TYIYN)
            for i, amount in enumerate(funding)
        ]
        issued = world.issued_tyiyn()
        assert world.circulation_tyiyn() == issued
        session = Session(World(), originals, snapshots=[[d.snapshot()] for d in originals])
        for operation in ops:
            run_operation(session, operation)
        truth = evidence(session)
        world.clock.now_s = session.now_s
        requests = [
            sign_sync_request(signer(HOLDERS[i]), d.upload(), session.now_s, d.spent_tyiyn, False)
            for i, d in enumerate(originals)
        ]
        order = requests[::-1] if reverse else requests
        findings: list[Finding] = []
        for request in (*order, *requests):
            outcome = world.service.sync(request)
            findings.extend(outcome.result.findings)
            assert verify(world.store).ok
            assert world.circulation_tyiyn() == issued  # no money created, none lost
        again = [world.service.sync(request) for request in requests]
        assert sum(o.paid_tyiyn for o in again) == 0
        attacked = {originals[holder].device_id for holder, _ in session.attackers}
        funded = {d.device_id: f for d, f in zip(originals, funding, strict=True)}
        check_detection(world, truth, findings, funded, attacked)
    finally:
        world.close()


def check_detection(
    world: LedgerWorld,
    truth: dict[bytes, dict[bytes, Payment]],
    findings: list[Finding],
    funded: dict[bytes, int],
    attacked: set[bytes],
) -> None:
    found = {(f.device_key_id, f.fraud, f.counter) for f in findings}
    flagged = {key_id for key_id, _fraud, _counter in found}
    revoked = world.service.trust().revocations
    for payer_key_id, payments in truth.items():
        by_counter: dict[int, set[bytes]] = defaultdict(set)
        for payment in payments.values():
            by_counter[payment.counter].add(payment.payment_hash)
        for counter, hashes in by_counter.items():
            if len(hashes) > 1:
                assert (payer_key_id, Fraud.DOUBLE_COUNTER, counter) in found
        if sum(p.amount_tyiyn for p in payments.values()) > funded[payer_key_id]:
            assert payer_key_id in flagged
    for key_id in flagged:
        assert revoked.revokes(key_id)
    # Honest devices (no copy of theirs ever paid) are never flagged. A device whose
    # uploaded payments look like one chain within its funding may still be a fork: a
    # copy's payment the payee refused never reaches the server, and the copy's next
    # payment links to it (CHAIN_BREAK), so what reached the server cannot tell.
    for key_id in funded.keys() - attacked:
        assert key_id not in flagged


@given(funding=FUNDING, ops=operations, reverse=st.booleans())
@settings(max_examples=20, deadline=None)
def test_sessions_on_sqlite_create_no_money_and_every_attack_is_detected(
    funding: list[int], ops: list[tuple[str, int, int, int]], reverse: bool
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        play(f"sqlite:///{Path(folder) / 'offline.db'}", funding, ops, reverse)


@pytest.mark.usefixtures("postgres_server")
@given(funding=FUNDING, ops=operations, reverse=st.booleans())
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_sessions_on_postgresql_create_no_money_and_every_attack_is_detected(
    postgres_databases: Callable[[], str], funding: list[int], ops: list[tuple[str, int, int, int]], reverse: bool
) -> None:
    play(postgres_databases(), funding, ops, reverse)
