"""The liquidity-saving algorithms of round 3 against brute-force reference models on small
queues: the FIFO gridlock run (Bech and Soramäki) finds the largest covered choice of
per-bank queue prefixes; partial netting with re-ordering settles a covered superset of it
that keeps urgent FIFO; the small-payment bypass lets small payments past a blocked head."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from digisom.interbank.lsm import LSM_REORDER_RULES, LSM_RULES, SettlementRules, Settler
from digisom.interbank.priority import Priority
from digisom.interbank.queue import Payment

BANKS = ("bank_a", "bank_b", "bank_c")
SMALL_RULES = SettlementRules(bypass_normal=False, bilateral_offsetting=False, lsm_interval_s=None,
                              small_bypass_below_minor=100)

queues = st.lists(
    st.tuples(st.sampled_from(BANKS), st.sampled_from(BANKS), st.integers(1, 120), st.sampled_from(list(Priority))),
    max_size=7,
).map(lambda specs: [Payment(i, s, r, amount, priority, i)
                     for i, (s, r, amount, priority) in enumerate(specs) if s != r])
balances = st.lists(st.integers(0, 100), min_size=len(BANKS), max_size=len(BANKS)).map(
    lambda amounts: dict(zip(BANKS, amounts, strict=True))
)


def covered(start: Mapping[str, int], chosen: Iterable[Payment]) -> bool:
    """The reference: every bank's balance after settling `chosen` at once is non-negative."""
    after = dict(start)
    for p in chosen:
        after[p.sender] -= p.amount_minor
        after[p.receiver] += p.amount_minor
    return all(v >= 0 for v in after.values())


def settlement_order(queue: Sequence[Payment], bank: str) -> list[Payment]:
    """`bank`'s queued payments as the queue rules order them: urgent FIFO, then normal FIFO."""
    mine = [p for p in queue if p.sender == bank]
    return [p for p in mine if p.priority is Priority.URGENT] + [p for p in mine if p.priority is Priority.NORMAL]


def largest_covered_prefixes(start: Mapping[str, int], queue: Sequence[Payment]) -> set[int]:
    """Brute force over every vector of per-bank prefix lengths: the union of the covered ones
    (which is itself covered, so it is the largest)."""
    orders = [settlement_order(queue, bank) for bank in BANKS]
    best: set[int] = set()
    for lengths in itertools.product(*(range(len(o) + 1) for o in orders)):
        chosen = [p for order, n in zip(orders, lengths, strict=True) for p in order[:n]]
        if covered(start, chosen):
            best |= {p.payment_id for p in chosen}
    return best


def run(start: Mapping[str, int], queue: Sequence[Payment], rules: SettlementRules) -> tuple[list[int], Settler]:
    settler = Settler(start, rules, queued=queue)
    return [s.payment.payment_id for s in settler.run_multilateral(0)], settler


@settings(max_examples=300, deadline=None)
@given(start=balances, queue=queues)
def test_the_fifo_gridlock_run_settles_the_largest_covered_prefixes(start: dict[str, int],
                                                                    queue: list[Payment]) -> None:
    settled, _ = run(start, queue, LSM_RULES)
    assert len(settled) == len(set(settled))
    assert set(settled) == largest_covered_prefixes(start, queue)


@settings(max_examples=300, deadline=None)
@given(start=balances, queue=queues)
def test_reordering_settles_a_covered_superset_that_keeps_urgent_fifo(start: dict[str, int],
                                                                      queue: list[Payment]) -> None:
    settled, settler = run(start, queue, LSM_REORDER_RULES)
    by_id = {p.payment_id: p for p in queue}
    chosen = [by_id[i] for i in settled]
    assert len(settled) == len(set(settled)), "nothing settles twice"
    assert covered(start, chosen), "the settled set is feasible"
    assert set(settled) >= largest_covered_prefixes(start, queue), "never less than the FIFO run"
    assert sum(settler.balances.values()) == sum(start.values())
    for bank in BANKS:
        urgent = [p.payment_id for p in settlement_order(queue, bank) if p.priority is Priority.URGENT]
        taken = [i for i in urgent if i in settled]
        assert taken == urgent[: len(taken)], "urgent payments settle in FIFO order"
        if len(taken) < len(urgent):
            assert not any(by_id[i].sender == bank and by_id[i].priority is Priority.NORMAL for i in settled)
    # Maximal: no left-out normal payment of a bank without left-out urgent ones still fits.
    after = settler.balances
    left = [p for p in queue if p.payment_id not in settled]
    blocked = {p.sender for p in left if p.priority is Priority.URGENT}
    assert all(p.amount_minor > after[p.sender] for p in left if p.sender not in blocked)


def test_reordering_settles_a_cycle_the_fifo_run_cannot() -> None:
    # b's head (60 to c) is uncovered even in the gridlock run; its second payment (40 to a)
    # closes the cycle a -> b -> a, which only re-ordering settles.
    queue = [Payment(1, "bank_a", "bank_b", 40, Priority.NORMAL, 0),
             Payment(2, "bank_b", "bank_c", 60, Priority.NORMAL, 0),
             Payment(3, "bank_b", "bank_a", 40, Priority.NORMAL, 0)]
    start = {"bank_a": 0, "bank_b": 0, "bank_c": 0}
    assert run(start, queue, LSM_RULES)[0] == []
    assert sorted(run(start, queue, LSM_REORDER_RULES)[0]) == [1, 3]


def test_small_payments_bypass_a_blocked_head_on_arrival_and_in_the_queue() -> None:
    settler = Settler({"bank_a": 50, "bank_b": 50, "bank_c": 0}, SMALL_RULES)
    assert settler.submit(Payment(1, "bank_a", "bank_b", 500, Priority.NORMAL, 0), 0) == []
    [on_arrival] = settler.submit(Payment(2, "bank_a", "bank_c", 30, Priority.NORMAL, 1), 1)
    assert on_arrival.payment.payment_id == 2  # small: past the queued large one
    assert settler.submit(Payment(3, "bank_a", "bank_c", 150, Priority.NORMAL, 2), 2) == []  # not small: waits
    assert settler.submit(Payment(4, "bank_a", "bank_c", 60, Priority.NORMAL, 3), 3) == []  # small, uncovered
    # Incoming liquidity: the head (500) still does not fit; the small one behind it does.
    settled = settler.submit(Payment(5, "bank_b", "bank_a", 50, Priority.NORMAL, 4), 4)
    assert [s.payment.payment_id for s in settled] == [5, 4]
    assert [p.payment_id for p in settler.queued_payments()] == [1, 3]


def test_nothing_bypasses_a_queued_urgent_payment() -> None:
    settler = Settler({"bank_a": 50, "bank_b": 10, "bank_c": 0}, SMALL_RULES)
    assert settler.submit(Payment(1, "bank_a", "bank_b", 500, Priority.URGENT, 0), 0) == []
    assert settler.submit(Payment(2, "bank_a", "bank_c", 30, Priority.NORMAL, 1), 1) == []
    # Incoming liquidity: a holds 60, the small payment would fit, the urgent head does not.
    [incoming] = settler.submit(Payment(3, "bank_b", "bank_a", 10, Priority.NORMAL, 2), 2)
    assert incoming.payment.payment_id == 3
    assert [p.payment_id for p in settler.queued_payments()] == [1, 2]
