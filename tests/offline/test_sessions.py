"""Property test: random offline sessions with injected attacks, then settlement.

Several funded devices pay each other offline for a while. An attacker may copy a
device (clone), restore an earlier copy of it (counter rollback), edit its funded
balance (tampering), or present a received payment again (replay). Then every honest
device uploads what it sent and received, in several runs and some twice, and the
settlement must show: no money created, honest devices paid in full and never
flagged, every double use of a counter and every overspend detected.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass, field

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from digisom.offline.device import Device, DeviceState
from digisom.offline.errors import OfflineError, Reason
from digisom.offline.payment import Payment, decode_payment
from digisom.offline.settlement import Fraud, SettlementBook, SettlementResult, Verdict, settle
from tests.offline.world import NOW_S, World, signer

HOLDERS = ["pensioner", "merchant", "shop", "market", "teacher"]
PER_PAYMENT_MAX_TYIYN = 20_000
CUMULATIVE_MAX_TYIYN = 60_000


@dataclass
class Session:
    world: World
    originals: list[Device]
    attackers: list[tuple[int, Device]] = field(default_factory=list)  # (holder index, instance)
    snapshots: list[list[DeviceState]] = field(default_factory=list)
    now_s: int = NOW_S
    attacker_payments: list[Payment] = field(default_factory=list)


# Payments dominate; each operation is (kind, a, b, amount) and each kind reads a and b its way.
KINDS = ["pay"] * 6 + ["clone", "rollback", "tamper", "replay"]
operations = st.lists(
    st.tuples(st.sampled_from(KINDS), st.integers(0, 40), st.integers(0, 40), st.integers(1, PER_PAYMENT_MAX_TYIYN)),
    min_size=10,
    max_size=60,
)


def run_operation(session: Session, operation: tuple[str, int, int, int]) -> None:
    kind, a, b, c = operation
    session.now_s += 60
    n = len(session.originals)
    if kind == "pay":
        # Half the draws go to an attacker's instance once there is one.
        if a >= 20 and session.attackers:
            holder, payer = session.attackers[a % len(session.attackers)]
        else:
            holder, payer = a % n, session.originals[a % n]
        payee = session.originals[b % n]
        if payee.device_id == payer.device_id:
            return
        try:
            payload = payer.pay(payee.device_id, c, session.now_s)
        except OfflineError:
            return
        is_attacker = payer is not session.originals[holder]
        if is_attacker:
            session.attacker_payments.append(decode_payment(payload))
        else:
            session.snapshots[holder].append(payer.snapshot())
        try:
            payee.receive(payload, session.now_s, session.originals[holder].certificate.encoded)
        except OfflineError:
            # Offline detection. An honest payment is refused only when an attacker used
            # this device's counter first (the payee sees a fork).
            if not is_attacker:
                assert any(h == holder for h, _ in session.attackers)
    elif kind in ("clone", "rollback", "tamper"):
        holder = a % n
        history = session.snapshots[holder]
        state = history[b % len(history)] if kind == "rollback" else session.originals[holder].snapshot()
        if kind == "tamper":
            state = dataclasses.replace(state, funded_tyiyn=state.funded_tyiyn + c)
        session.attackers.append((holder, Device.from_state(signer(HOLDERS[holder]), state)))
    elif kind == "replay":
        payee = session.originals[a % n]
        received = payee.upload().received
        if received:
            receipt = received[b % len(received)]
            event("replay injected")
            with pytest.raises(OfflineError) as excinfo:
                payee.receive(receipt.payload, session.now_s)
            assert excinfo.value.reason is Reason.REPLAY


def evidence(session: Session) -> dict[bytes, dict[bytes, Payment]]:
    """Ground truth: every distinct payment that reaches the server, per payer."""
    by_payer: dict[bytes, dict[bytes, Payment]] = defaultdict(dict)
    for device in session.originals:
        upload = device.upload()
        for payload in (*upload.sent, *(r.payload for r in upload.received)):
            payment = decode_payment(payload)
            by_payer[payment.payer_key_id][payment.payment_hash] = payment
    return by_payer


@given(
    funding=st.lists(st.integers(0, CUMULATIVE_MAX_TYIYN), min_size=3, max_size=5),
    ops=operations,
    split=st.integers(0, 5),
)
@settings(max_examples=300, deadline=None)
def test_random_sessions_create_no_money_and_every_attack_is_detected(
    funding: list[int], ops: list[tuple[str, int, int, int]], split: int
) -> None:
    world = World()
    originals = [
        world.device(HOLDERS[i], amount, PER_PAYMENT_MAX_TYIYN, CUMULATIVE_MAX_TYIYN)
        for i, amount in enumerate(funding)
    ]
    session = Session(world, originals, snapshots=[[d.snapshot()] for d in originals])
    for operation in ops:
        run_operation(session, operation)

    # Upload in runs (the book carries over), then everything again: idempotent.
    uploads = [d.upload() for d in originals]
    cut = split % (len(uploads) + 1)
    book = SettlementBook()
    results: list[SettlementResult] = []
    for batch in (uploads[:cut], uploads[cut:], uploads, uploads[::-1]):
        result = settle(batch, world.context(session.now_s), book)
        results.append(result)
        book = result.book
    check_settlement(session, results, evidence(session))


def check_settlement(
    session: Session, results: list[SettlementResult], truth: dict[bytes, dict[bytes, Payment]]
) -> None:
    world = session.world
    payouts = [p for r in results for p in r.payouts]
    claims = [c for r in results for c in r.claims]
    findings = [f for r in results for f in r.findings]
    flagged = {f.device_key_id for f in findings}
    decisions = {d.key.payment_hash: d for r in results for d in r.decisions if d.verdict is not Verdict.DEFERRED}

    # Idempotent: the last two runs changed nothing.
    assert results[-1].payouts == ()
    assert results[-2].payouts == ()
    # Each payment part paid at most once, and only payments that exist.
    assert len({p.transfer_id for p in payouts}) == len(payouts)
    existing = {h for payments in truth.values() for h in payments}
    assert set(decisions) <= existing

    # No money created: out of each reserve at most what was funded; the rest is an explicit claim.
    paid_from_reserve: dict[bytes, int] = defaultdict(int)
    for p in payouts:
        if p.source is Verdict.RESERVE:
            paid_from_reserve[p.payer_key_id] += p.amount_tyiyn
    for key_id, paid_tyiyn in paid_from_reserve.items():
        assert paid_tyiyn <= world.funded_tyiyn[key_id]
    total_paid = sum(p.amount_tyiyn for p in payouts)
    assert total_paid <= sum(world.funded_tyiyn.values()) + sum(c.amount_tyiyn for c in claims)
    assert sum(p.amount_tyiyn for p in payouts if p.source is Verdict.GUARANTEE) == sum(c.amount_tyiyn for c in claims)
    claimed: dict[bytes, int] = defaultdict(int)
    for c in claims:
        claimed[c.device_key_id] += c.amount_tyiyn
        assert c.bank_key_id == world.bank.key_id
    if claims:
        event("guarantee paid")
    for key_id, amount_tyiyn in claimed.items():
        assert key_id in flagged
        assert amount_tyiyn <= world.devices[key_id].cumulative_max_tyiyn
        # The bank is charged only the excess: the reserve was used up first.
        assert paid_from_reserve[key_id] == world.funded_tyiyn[key_id]
    # A payment is paid in full or not at all.
    paid_per_payment: dict[bytes, int] = defaultdict(int)
    for p in payouts:
        paid_per_payment[p.payment_hash] += p.amount_tyiyn
    for payment_hash, paid_tyiyn in paid_per_payment.items():
        assert paid_tyiyn == decisions[payment_hash].amount_tyiyn

    # Every injected double use of a counter is detected, at that counter.
    for payer_key_id, payments in truth.items():
        by_counter: dict[int, set[bytes]] = defaultdict(set)
        for payment in payments.values():
            by_counter[payment.counter].add(payment.payment_hash)
        for counter, hashes in by_counter.items():
            if len(hashes) > 1:
                event("double use of a counter injected")
                assert any(
                    f.device_key_id == payer_key_id and f.fraud is Fraud.DOUBLE_COUNTER and f.counter == counter
                    for f in findings
                )
        # Every overspend is detected.
        if sum(p.amount_tyiyn for p in payments.values()) > world.funded_tyiyn[payer_key_id]:
            event("overspend injected")
            assert payer_key_id in flagged

    # Attacker payments that reached the server and differ from the original's history are caught.
    for payment in session.attacker_payments:
        if payment.payment_hash in truth[payment.payer_key_id]:
            honest_history = {
                p.payment_hash for p in truth[payment.payer_key_id].values() if p.counter == payment.counter
            }
            if honest_history - {payment.payment_hash}:
                assert payment.payer_key_id in flagged

    # Honest devices are never flagged, and their payments are paid in full from the reserve.
    attacked = {session.originals[holder].device_id for holder, _ in session.attackers}
    for device in session.originals:
        if device.device_id not in attacked:
            assert device.device_id not in flagged
            for payment in truth.get(device.device_id, {}).values():
                assert decisions[payment.payment_hash].verdict is Verdict.RESERVE
