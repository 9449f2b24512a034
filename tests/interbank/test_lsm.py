"""The RTGS queue and the liquidity-saving mechanism: cover, conservation, queue rules,
bilateral offsetting and multilateral gridlock resolution."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digisom.errors import InvariantViolation
from digisom.interbank.liquidity import liquidity_bounds, liquidity_needed
from digisom.interbank.lsm import (
    GROSS_RULES,
    LSM_RULES,
    Method,
    QueueFull,
    SettlementRules,
    Settler,
    simulate_day,
)
from digisom.interbank.priority import Priority
from digisom.interbank.queue import Payment

FIRST, SECOND, THIRD = "commercial_bank_1", "commercial_bank_2", "commercial_bank_3"
CLOSE_S = 36_000
_ids = itertools.count(1)


def pay(sender: str, receiver: str, amount_minor: int, at_s: int = 0, priority: Priority = Priority.NORMAL) -> Payment:
    return Payment(next(_ids), sender, receiver, amount_minor, priority, at_s)


def test_gridlock_settles_with_the_lsm_and_not_gross() -> None:
    cycle = [pay(FIRST, SECOND, 100, 1), pay(SECOND, THIRD, 100, 2), pay(THIRD, FIRST, 100, 3)]
    balances = {FIRST: 10, SECOND: 10, THIRD: 10}
    gross = simulate_day(cycle, balances, GROSS_RULES, CLOSE_S)
    assert gross.settlements == ()
    assert len(gross.unsettled) == 3
    assert gross.final_balances == balances
    lsm = simulate_day(cycle, balances, LSM_RULES, CLOSE_S)
    assert lsm.unsettled == ()
    assert {s.method for s in lsm.settlements} == {Method.MULTILATERAL}
    assert {s.settled_s for s in lsm.settlements} == {300}  # the first periodic run
    assert lsm.final_balances == balances


def test_bilateral_offsetting_settles_a_pair_that_neither_bank_covers_alone() -> None:
    settler = Settler({FIRST: 10, SECOND: 10}, LSM_RULES)
    outgoing = pay(FIRST, SECOND, 100)
    assert settler.submit(outgoing, 0) == []
    settled = settler.submit(pay(SECOND, FIRST, 95), 1)
    assert [s.method for s in settled] == [Method.BILATERAL, Method.BILATERAL]
    assert settler.balances == {FIRST: 5, SECOND: 15}
    assert settler.queued == 0
    gross = Settler({FIRST: 10, SECOND: 10}, GROSS_RULES)
    gross.submit(pay(FIRST, SECOND, 100), 0)
    assert gross.submit(pay(SECOND, FIRST, 95), 1) == []


def test_bilateral_offsetting_refuses_a_pair_without_cover() -> None:
    settler = Settler({FIRST: 10, SECOND: 10}, LSM_RULES)
    settler.submit(pay(FIRST, SECOND, 100), 0)
    assert settler.submit(pay(SECOND, FIRST, 50), 1) == []  # FIRST would need 50, has 10
    assert settler.queued == 2


def test_urgent_payments_go_first_and_in_fifo_order() -> None:
    settler = Settler({FIRST: 0, SECOND: 1_000}, LSM_RULES)
    normal = pay(FIRST, THIRD, 10, 0, Priority.NORMAL)
    urgent_1 = pay(FIRST, THIRD, 50, 1, Priority.URGENT)
    urgent_2 = pay(FIRST, THIRD, 20, 2, Priority.URGENT)
    for payment in (normal, urgent_1, urgent_2):
        assert settler.submit(payment, payment.arrival_s) == []
    # 60 arrive: the urgent head (50) settles, then urgent_2 (20) does not fit in 10, and
    # the normal payment (10) would fit but must not overtake a queued urgent one.
    settled = settler.submit(pay(SECOND, FIRST, 60), 3)
    assert [s.payment for s in settled][1:] == [urgent_1]
    assert settler.submit(pay(FIRST, THIRD, 1, 4, Priority.NORMAL), 4) == []  # blocked by urgent_2
    settled = settler.submit(pay(SECOND, FIRST, 20), 5)
    assert [s.payment for s in settled][1:] == [urgent_2, normal]


def test_a_new_normal_payment_bypasses_queued_normal_ones_only_with_the_lsm_rules() -> None:
    for rules, bypasses in ((LSM_RULES, True), (GROSS_RULES, False)):
        settler = Settler({FIRST: 50}, rules)
        settler.submit(pay(FIRST, SECOND, 100), 0)
        settled = settler.submit(pay(FIRST, SECOND, 30), 1)
        assert bool(settled) is bypasses


def test_multilateral_run_takes_normal_payments_out_before_urgent_ones() -> None:
    without_offsetting = SettlementRules(bypass_normal=True, bilateral_offsetting=False, lsm_interval_s=300)
    settler = Settler({FIRST: 0, SECOND: 30}, without_offsetting)
    urgent = pay(FIRST, SECOND, 100, 0, Priority.URGENT)
    normal = pay(FIRST, SECOND, 50, 0, Priority.NORMAL)
    incoming = pay(SECOND, FIRST, 120, 0, Priority.NORMAL)
    for payment in (normal, urgent, incoming):
        assert settler.submit(payment, 0) == []
    # All three at once would leave FIRST at -30: its last payment in settlement order is
    # the normal one (urgent go first), so that one waits and the other two settle.
    settled = settler.run_multilateral(300)
    assert {s.payment for s in settled} == {urgent, incoming}
    assert settler.balances == {FIRST: 20, SECOND: 10}
    assert settler.queued_payments() == [normal]


def test_what_is_queued_at_the_close_stays_unsettled() -> None:
    too_big = pay(FIRST, SECOND, 1_000, 10)
    result = simulate_day([too_big], {FIRST: 10, SECOND: 0}, LSM_RULES, CLOSE_S)
    assert result.unsettled == (too_big,)
    assert result.final_balances == {FIRST: 10, SECOND: 0}


def test_a_full_queue_refuses_the_payment_and_changes_nothing() -> None:
    settler = Settler({FIRST: 10, SECOND: 0}, LSM_RULES, max_queued=1)
    settler.submit(pay(FIRST, SECOND, 100), 0)
    with pytest.raises(QueueFull):
        settler.submit(pay(FIRST, SECOND, 200), 1)
    assert settler.queued == 1
    assert settler.balances == {FIRST: 10, SECOND: 0}
    assert settler.submit(pay(FIRST, SECOND, 5), 2)  # what is covered still settles


def test_invalid_payments_stop_the_engine() -> None:
    settler = Settler({FIRST: 10}, LSM_RULES)
    with pytest.raises(InvariantViolation):
        settler.submit(pay(FIRST, FIRST, 1), 0)
    with pytest.raises(InvariantViolation):
        settler.submit(Payment(0, FIRST, SECOND, 0, Priority.NORMAL, 0), 0)


BANKS = [FIRST, SECOND, THIRD, "commercial_bank_4"]
payment_specs = st.lists(
    st.tuples(
        st.sampled_from(BANKS),
        st.sampled_from(BANKS),
        st.integers(min_value=1, max_value=1_000),
        st.sampled_from(list(Priority)),
        st.booleans(),  # run the multilateral algorithm after this payment?
    ),
    max_size=60,
)
rule_sets = st.sampled_from(
    [
        GROSS_RULES,
        LSM_RULES,
        SettlementRules(bypass_normal=False, bilateral_offsetting=True, lsm_interval_s=60),
        SettlementRules(bypass_normal=True, bilateral_offsetting=False, lsm_interval_s=None),
        SettlementRules(bypass_normal=False, bilateral_offsetting=False, lsm_interval_s=None,
                        small_bypass_below_minor=300),
        SettlementRules(bypass_normal=True, bilateral_offsetting=True, lsm_interval_s=60,
                        small_bypass_below_minor=300, reorder_multilateral=True),
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    starting=st.lists(st.integers(min_value=0, max_value=1_500), min_size=len(BANKS), max_size=len(BANKS)),
    specs=payment_specs,
    rules=rule_sets,
)
def test_no_balance_is_ever_negative_and_money_is_conserved(
    starting: list[int], specs: list[tuple[str, str, int, Priority, bool]], rules: SettlementRules
) -> None:
    balances = dict(zip(BANKS, starting, strict=True))
    total = sum(balances.values())
    settler = Settler(balances, rules)
    submitted: set[int] = set()
    settled_ids: list[int] = []
    for now_s, (sender, receiver, amount, priority, run_lsm) in enumerate(specs):
        if sender == receiver:
            continue
        payment = Payment(now_s, sender, receiver, amount, priority, now_s)
        submitted.add(payment.payment_id)
        steps = [settler.submit(payment, now_s)]
        if run_lsm and rules.lsm_interval_s is not None:
            steps.append(settler.run_multilateral(now_s))
        for settled in steps:
            settled_ids.extend(s.payment.payment_id for s in settled)
            assert all(value >= 0 for value in settler.balances.values())
            assert sum(settler.balances.values()) == total
    if rules.lsm_interval_s is not None:
        settled_ids.extend(s.payment.payment_id for s in settler.run_multilateral(len(specs)))
        # the gridlock run leaves no queue head that its bank could now pay alone
        for payment in settler.queued_payments():
            assert payment.amount_minor > 0
        heads = {p.sender: p for p in reversed(settler.queued_payments())}
        assert all(settler.balances[bank] < head.amount_minor for bank, head in heads.items())
    queued_ids = [p.payment_id for p in settler.queued_payments()]
    assert len(settled_ids) == len(set(settled_ids))  # nothing settles twice
    assert set(settled_ids) | set(queued_ids) == submitted  # nothing is lost
    assert not set(settled_ids) & set(queued_ids)
    assert sum(settler.balances.values()) == total


def _day(count: int) -> list[Payment]:
    """A small reproducible day: random pairs and sizes, one payment every 10 seconds."""
    rng = random.Random(417)
    days: list[Payment] = []
    for i in range(count):
        sender, receiver = rng.sample(BANKS, 2)
        priority = Priority.URGENT if rng.random() < 0.1 else Priority.NORMAL
        days.append(Payment(i, sender, receiver, rng.randint(100, 1_000), priority, i * 10))
    return days


def test_the_upper_bound_settles_everything_gross_on_arrival() -> None:
    payments = _day(400)
    bounds = liquidity_bounds(payments)
    result = simulate_day(payments, bounds.upper, GROSS_RULES, CLOSE_S)
    assert result.unsettled == ()
    assert all(s.method is Method.GROSS and s.delay_s == 0 for s in result.settlements)


def test_the_lsm_needs_no_more_than_gross_and_no_less_than_the_lower_bound() -> None:
    payments = _day(400)
    bounds = liquidity_bounds(payments)
    gross = liquidity_needed(payments, GROSS_RULES, CLOSE_S)
    lsm = liquidity_needed(payments, LSM_RULES, CLOSE_S)
    assert sum(lsm.values()) <= sum(gross.values()) <= sum(bounds.upper.values())
    assert lsm == bounds.lower  # the closing gridlock run settles everything on net positions
    for rules, needed in ((GROSS_RULES, gross), (LSM_RULES, lsm)):
        assert simulate_day(payments, needed, rules, CLOSE_S).unsettled == ()
