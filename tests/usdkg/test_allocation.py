"""The per-address bar lookup and the register total: property tests."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from digisom.api.runtime import domain_engine
from digisom.usdkg import units
from digisom.usdkg.allocation import allocate
from digisom.usdkg.errors import RowsRefused
from tests.usdkg.world import START, World, bar_row, csv_bytes

BARS = st.dictionaries(st.from_regex(r"KG[0-9]{4}", fullmatch=True), st.integers(350_000, 430_000), max_size=8)
BALANCES = st.dictionaries(st.from_regex(r"0x[0-9a-f]{6}", fullmatch=True), st.integers(0, 2 * 10**12), max_size=8)


@settings(max_examples=200)
@given(bars=BARS, balances=BALANCES, price=st.integers(100_000, 400_000))
def test_every_unit_is_backed_at_most_once_and_the_lookup_recomputes(
    bars: dict[str, int], balances: dict[str, int], price: int
) -> None:
    listed = list(bars.items())
    result = allocate(listed, balances, price)
    used: dict[str, int] = {}
    for holder in result.values():
        assert sum(b.units for b in holder.bars) + holder.unbacked_units == holder.balance_units
        for backing in holder.bars:
            used[backing.serial] = used.get(backing.serial, 0) + backing.units
    for serial, taken in used.items():
        assert taken <= units.value_units(bars[serial], price)  # no bar backs more than it is worth
    reserve_units = sum(units.value_units(fine, price) for fine in bars.values())
    supply = sum(balances.values())
    if reserve_units >= supply:  # coverage >= 100%: every unit backed
        assert all(h.unbacked_units == 0 for h in result.values())
    else:
        assert sum(h.unbacked_units for h in result.values()) == supply - reserve_units
    # Recomputable: the order the inputs come in does not matter.
    assert allocate(list(reversed(listed)), dict(reversed(list(balances.items()))), price) == result


def test_the_largest_holder_is_backed_by_the_first_bars() -> None:
    one_bar_units = units.value_units(400_000, 200_000)
    result = allocate([("B", 400_000), ("A", 400_000)], {"0xsmall": 5, "0xbig": one_bar_units + 1}, 200_000)
    assert [(b.serial, b.units) for b in result["0xbig"].bars] == [("A", one_bar_units), ("B", 1)]
    assert [(b.serial, b.units) for b in result["0xsmall"].bars] == [("B", 5)]


FILES = st.lists(
    st.lists(
        st.tuples(st.integers(0, 30), st.integers(14_000, 17_200).map(lambda n: n * 25), st.integers(9950, 10_000)),
        min_size=1,
        max_size=6,
    ),
    max_size=5,
)


@settings(max_examples=25, deadline=None)
@given(files=FILES)
def test_the_register_total_is_the_sum_of_fine_weights_after_every_import(
    files: list[list[tuple[int, int, int]]],
) -> None:
    """Files may repeat serials (in a file or across files): those are refused whole."""
    with tempfile.TemporaryDirectory() as folder:
        engine = domain_engine(f"sqlite:///{Path(folder) / 'usdkg.db'}")
        try:
            world = World(engine)
            held: dict[str, int] = {}
            for number, rows in enumerate(files):
                data = csv_bytes([bar_row(f"KG{s:04d}", gross, fineness) for s, gross, fineness in rows])
                serials = [f"KG{s:04d}" for s, _, _ in rows]
                fines = [units.fine_weight_moz(g, f) for _, g, f in rows]
                acceptable = (
                    len(set(serials)) == len(serials)
                    and not set(serials) & held.keys()
                    and all(units.FINE_MIN_MOZ <= fine <= units.FINE_MAX_MOZ for fine in fines)
                )
                try:
                    world.import_bars(data, at=START.replace(minute=number))
                    assert acceptable
                    held.update(zip(serials, fines, strict=True))
                except RowsRefused:
                    assert not acceptable
                assert world.register.fine_moz_in_vaults() == sum(held.values())
                assert sum(bar.fine_moz for bar in world.register.bars()) == sum(held.values())
        finally:
            engine.dispose()
