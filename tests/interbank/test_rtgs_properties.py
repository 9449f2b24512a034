"""Property: queue + LSM through the ledger never settles without cover and conserves
balances — checked against the ledger's own balances after random days, and (for the
round-3 re-ordering rules) by the ledger's verifier replaying the journal."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine
from sqlalchemy.pool import StaticPool

from digisom.interbank.accounts import CLEARING_ID
from digisom.interbank.context import RtgsContext
from digisom.interbank.lsm import LSM_REORDER_RULES, LSM_RULES, SettlementRules
from digisom.interbank.ports import NO_PARTY_SCREENING
from digisom.interbank.records import PaymentStatus
from digisom.interbank.rtgs import Rtgs
from digisom.ledger.audit import verify
from digisom.ledger.service import Ledger
from digisom.stores.url import open_store
from tests.interbank.rtgs_world import (
    BUSINESS_DAY,
    COMMERCIAL_BANK,
    OTHER_COMMERCIAL_BANK,
    THIRD_COMMERCIAL_BANK,
    Clock,
    RtgsWorld,
)

BANKS = (COMMERCIAL_BANK, OTHER_COMMERCIAL_BANK, THIRD_COMMERCIAL_BANK)
step = st.one_of(
    st.tuples(st.sampled_from(BANKS), st.sampled_from(BANKS), st.integers(1, 300), st.booleans()),
    st.just("lsm"),
)


def _world(rules: SettlementRules = LSM_RULES) -> RtgsWorld:
    engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    ledger = Ledger(open_store("memory:"))
    clock = Clock()
    context = RtgsContext(engine=engine, ledger=ledger, clock=clock, rules=rules, screening=NO_PARTY_SCREENING)
    world = RtgsWorld(Rtgs(context), ledger, clock)
    for code in BANKS:
        world.rtgs.register_bank(code, f"bank {code}")
    return world


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(funds=st.lists(st.integers(0, 200), min_size=3, max_size=3), credit=st.integers(0, 100),
       steps=st.lists(step, max_size=25))
def test_never_without_cover_and_balances_conserved(funds: list[int], credit: int,
                                                    steps: list[tuple[str, str, int, bool] | str]) -> None:
    _random_day(_world(), funds, credit, steps)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(funds=st.lists(st.integers(0, 200), min_size=3, max_size=3), credit=st.integers(0, 100),
       steps=st.lists(step, max_size=25))
def test_reordering_rules_keep_cover_conservation_and_a_verified_journal(
        funds: list[int], credit: int, steps: list[tuple[str, str, int, bool] | str]) -> None:
    world = _world(replace(LSM_REORDER_RULES, small_bypass_below_minor=100))
    _random_day(world, funds, credit, steps)
    assert verify(world.ledger.store).ok


def test_reordering_settles_through_the_ledger_a_cycle_behind_a_blocked_head() -> None:
    a, b, c = BANKS
    settled_by_rules = {}
    for rules in (LSM_RULES, LSM_REORDER_RULES):
        world = _world(rules)
        # a's head (70 to c) lacks cover; behind it, a -> b -> c -> a of 40 each closes a cycle.
        for sender, receiver, amount in ((a, c, 70), (a, b, 40), (b, c, 40), (c, a, 40)):
            world.rtgs.submit(world.pacs008(sender, receiver, amount))
        settled_by_rules[rules] = world.rtgs.run_lsm()
        assert all(world.rtgs.liquidity(bank) == (0, 0) for bank in BANKS)
        assert verify(world.ledger.store).ok
    assert settled_by_rules == {LSM_RULES: 0, LSM_REORDER_RULES: 3}


def _random_day(world: RtgsWorld, funds: list[int], credit: int, steps: list[tuple[str, str, int, bool] | str]) -> None:
    for bank, amount in zip(BANKS, funds, strict=True):
        if amount:
            world.rtgs.fund(bank, amount, "reserves")
    if credit:
        world.rtgs.pledge_collateral(COMMERCIAL_BANK, credit, "bonds")
    for item in steps:
        if isinstance(item, str):
            world.rtgs.run_lsm()
        elif item[0] != item[1]:
            sender, receiver, amount, urgent = item
            world.rtgs.submit(world.pacs009(sender, receiver, amount) if urgent else
                              world.pacs008(sender, receiver, amount))
    liquidity = {bank: world.rtgs.liquidity(bank) for bank in BANKS}
    assert all(cash >= 0 and line >= 0 for cash, line in liquidity.values()), "nothing without cover"
    drawn = credit - liquidity[COMMERCIAL_BANK][1]
    assert sum(cash for cash, _ in liquidity.values()) == sum(funds) + drawn, "balances conserved"
    [clearing] = world.ledger.lookup_accounts([CLEARING_ID])
    assert clearing.debits_posted == clearing.credits_posted, "every chain nets to zero in clearing"
    settled = [p for p in world.rtgs.payments(BUSINESS_DAY) if p.status is PaymentStatus.SETTLED]
    assert clearing.credits_posted == sum(p.amount_tyiyn for p in settled), "the ledger moved exactly what settled"
