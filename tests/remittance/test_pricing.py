"""Quotes and reference rates: integer arithmetic, the World Bank's all-in cost, stale
and malformed rates refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digisom.remittance.errors import RateMissing, RatesFileInvalid, RateStale
from digisom.remittance.model import Corridor
from digisom.remittance.pricing import price, rpw_costs_ppm
from digisom.remittance.rates import FileRates, Rate, parse_rate, reference_rate

CORRIDOR = Corridor("c", "p", "RUB", 0, 30, 50, 10**9, 10**10)


def test_the_all_in_cost_of_the_rouble_corridor_is_under_one_percent() -> None:
    costs = rpw_costs_ppm(CORRIDOR, parse_rate("1.0895"), parse_rate("87.45"))
    assert set(costs) == {200_00, 500_00}
    assert all(7_900 < ppm <= 10_000 for ppm in costs.values())  # 0.3% fee + 0.5% margin + rounding


@given(send=st.integers(1_00, 10**10), fixed=st.integers(0, 10_000), fee_bps=st.integers(0, 500),
       margin_bps=st.integers(0, 500), rate=st.integers(1, 10**9))
def test_the_cost_is_fees_plus_margin_and_never_understated(send: int, fixed: int, fee_bps: int, margin_bps: int,
                                                            rate: int) -> None:
    corridor = Corridor("c", "p", "RUB", fixed, fee_bps, margin_bps, 10**12, 10**12)
    figures = price(corridor, send, rate)
    # What arrives never exceeds the amount at the reference rate less the margin.
    assert figures.receive_tyiyn * 10**6 * 100 <= send * figures.applied_e6 * 100
    assert figures.applied_e6 <= rate
    # The stated cost covers at least the fees and the margin (rounding only adds).
    assert figures.all_in_cost_ppm * send >= (fixed + figures.fee_pct_minor) * 10**6 + margin_bps * 100 * send - send


def test_rates_parse_exactly_and_stale_ones_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "rates.json"
    path.write_text('[{"date": "2026-12-04", "currency": "RUB", "rate": 1.0895},'
                    ' {"date": "2026-12-03", "currency": "RUB", "rate": "1.0801"}]')
    rates = FileRates.from_path(path)
    assert rates.latest("RUB") == Rate("RUB", date(2026, 12, 4), 1_089_500)
    assert reference_rate(rates, "RUB", date(2026, 12, 7)).som_e6 == 1_089_500  # Friday's rate on Monday
    with pytest.raises(RateStale):
        reference_rate(rates, "RUB", date(2026, 12, 8))
    with pytest.raises(RateMissing):
        reference_rate(rates, "KZT", date(2026, 12, 7))


@pytest.mark.parametrize(("name", "text", "where"), [
    ("r.csv", "day,currency,rate\n", "header"),
    ("r.csv", "date,currency,rate\n2026-12-07,RUB,1.08951234\n", "line 2"),
    ("r.csv", "date,currency,rate\n2026-12-07,XXX,1.0\n", "line 2"),
    ("r.csv", "date,currency,rate\n2026-13-07,RUB,1.0\n", "line 2"),
    ("r.json", '{"date": "2026-12-07"}', "list"),
    ("r.json", '[{"date": "2026-12-07", "currency": "RUB", "rate": -1}]', "entry 0"),
    ("r.json", "[", "not JSON"),
])
def test_a_rates_file_that_does_not_parse_is_a_typed_error(tmp_path: Path, name: str, text: str, where: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(RatesFileInvalid, match=where):
        FileRates.from_path(path)
