"""Coverage: the rules a mint and a withdrawal pass, against a reference model."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from digisom.api.runtime import domain_engine
from digisom.usdkg import units
from digisom.usdkg.errors import CoverageRefused, InvalidAmount
from digisom.usdkg.model import BarStatus
from tests.usdkg.world import PRICE_CENTS_PER_OZ, START, World, bar_row, csv_bytes

ONE_USDKG = 10**units.TOKEN_DECIMALS
NOW = START + timedelta(hours=1)


def _bars(world: World, count: int) -> int:
    return world.import_bars(csv_bytes([bar_row(f"KG{i:04d}") for i in range(count)])).fine_moz


def test_no_price_then_a_stale_one_refuse_every_mint(any_world: World) -> None:
    _bars(any_world, 1)
    with pytest.raises(CoverageRefused) as refused:
        any_world.coverage.may_mint(ONE_USDKG, NOW)
    assert refused.value.rule == "no_price"
    any_world.set_price(PRICE_CENTS_PER_OZ, NOW - timedelta(days=2))
    with pytest.raises(CoverageRefused) as refused:
        any_world.coverage.may_mint(ONE_USDKG, NOW)
    assert refused.value.rule == "stale_price"
    any_world.set_price(PRICE_CENTS_PER_OZ, NOW)
    assert any_world.coverage.may_mint(ONE_USDKG, NOW).price_stale is False


def test_a_mint_may_take_coverage_to_the_floor_and_not_one_unit_past_it(any_world: World) -> None:
    fine_moz = _bars(any_world, 2)
    any_world.set_price(PRICE_CENTS_PER_OZ, NOW)
    reserve_units = units.value_cents(fine_moz, PRICE_CENTS_PER_OZ) * units.UNITS_PER_CENT
    any_world.supply.by_chain = {1: reserve_units // 2, 56: 0}
    room = reserve_units - reserve_units // 2
    any_world.coverage.may_mint(room, NOW)
    with pytest.raises(CoverageRefused) as refused:
        any_world.coverage.may_mint(room + 1, NOW)
    assert refused.value.rule == "coverage_floor"
    assert refused.value.extensions["floor_bps"] == 10_000
    with pytest.raises(InvalidAmount):
        any_world.coverage.may_mint(0, NOW)
    figure = any_world.coverage.figure(NOW)
    assert figure.supply_units == reserve_units // 2
    assert figure.coverage_bps == 20_000


def test_a_withdrawal_that_would_uncover_the_supply_is_refused_and_moves_nothing(any_world: World) -> None:
    fine_moz = _bars(any_world, 2)
    any_world.set_price(PRICE_CENTS_PER_OZ, NOW)
    any_world.supply.by_chain = {1: units.value_units(fine_moz // 2 + 1, PRICE_CENTS_PER_OZ)}
    with pytest.raises(CoverageRefused) as refused:
        any_world.withdraw(["KG0000"], at=NOW)
    assert refused.value.rule == "coverage_floor"
    assert any_world.register.bar("KG0000").status is BarStatus.IN_VAULT
    any_world.supply.by_chain = {1: units.value_units(fine_moz // 2 - 1, PRICE_CENTS_PER_OZ)}
    any_world.withdraw(["KG0000"], at=NOW)
    assert any_world.register.bar("KG0000").status is BarStatus.WITHDRAWN


OPERATIONS = st.lists(
    st.one_of(
        st.tuples(
            st.just("mint"), st.integers(1, 3_000_000).map(lambda usd: usd * ONE_USDKG), st.sampled_from([1, 56])
        ),
        st.tuples(
            st.just("redeem"), st.integers(1, 3_000_000).map(lambda usd: usd * ONE_USDKG), st.sampled_from([1, 56])
        ),
        st.tuples(st.just("price"), st.integers(150_000, 400_000), st.just(0)),
        st.tuples(st.just("withdraw"), st.integers(0, 5), st.just(0)),
        st.tuples(st.just("withdraw"), st.integers(0, 5), st.just(0)),  # as often as a mint
    ),
    max_size=25,
)


@settings(max_examples=40, deadline=None)
@example(operations=[("mint", 6_000_000 * ONE_USDKG, 1), ("withdraw", 0, 0)], floor_bps=10_000)
@given(operations=OPERATIONS, floor_bps=st.sampled_from([10_000, 10_500, 12_000]))
def test_coverage_never_goes_below_the_floor_by_a_mint_or_a_withdrawal(
    operations: list[tuple[str, int, int]], floor_bps: int
) -> None:
    """Every decision equals the reference model's; after every accepted mint or withdrawal
    the reserve covers the supply at the floor; below the floor (a price fall) no mint passes."""
    with tempfile.TemporaryDirectory() as folder:
        engine = domain_engine(f"sqlite:///{Path(folder) / 'usdkg.db'}")
        try:
            world = World(engine, floor_bps=floor_bps)
            fine = {f"KG{i:04d}": units.fine_weight_moz(400_125, 9999) for i in range(6)}
            _bars(world, 6)
            price, supply = PRICE_CENTS_PER_OZ, {1: 0, 56: 0}
            now = NOW
            world.set_price(price, now)

            def model_covers(fine_moz: int, supply_units: int) -> bool:
                # Written apart from `units.covers`: cents to units, both sides scaled by 10,000 bps.
                reserve_cents = fine_moz * price // 1000
                return reserve_cents * 100 * 10**4 * 10**4 >= floor_bps * supply_units * 100

            for kind, value, chain in operations:
                now += timedelta(minutes=1)
                world.supply.by_chain = dict(supply)
                if kind == "price":
                    price = value
                    world.set_price(price, now)
                elif kind == "redeem":
                    supply[chain] -= min(value, supply[chain])
                elif kind == "mint":
                    expected = model_covers(sum(fine.values()), sum(supply.values()) + value)
                    try:
                        world.coverage.may_mint(value, now)
                        accepted = True
                    except CoverageRefused as refusal:
                        rule, accepted = refusal.rule, False
                    else:
                        rule = ""
                    assert rule in {"", "coverage_floor"}
                    assert accepted == expected
                    if accepted:
                        supply[chain] += value
                elif kind == "withdraw":
                    serial = f"KG{value:04d}"
                    if serial not in fine:
                        continue
                    expected = model_covers(sum(fine.values()) - fine[serial], sum(supply.values()))
                    try:
                        world.withdraw([serial], at=now)
                        accepted = True
                    except CoverageRefused:
                        accepted = False
                    assert accepted == expected
                    if accepted:
                        del fine[serial]
                world.supply.by_chain = dict(supply)
                figure = world.coverage.figure(now)
                assert figure.fine_moz == sum(fine.values())
                assert figure.supply_units == sum(supply.values())
                if kind in {"mint", "withdraw"} and accepted:
                    assert model_covers(figure.fine_moz, figure.supply_units)
                    assert figure.coverage_bps is None or figure.coverage_bps >= floor_bps
        finally:
            engine.dispose()
