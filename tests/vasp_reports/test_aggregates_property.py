"""Property: a month's aggregates are the sums over the latest version of each VASP's
report, whatever order the versions arrive in (a reference model, written separately)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from digisom.vasp_reports.aggregates import aggregates
from digisom.vasp_reports.report import Report, parse_report
from tests.vasp_reports.helpers import asset, pair, report

SYMBOLS = ("BTC", "KGS", "KGST", "USD", "USDKG")
VASPS = ("vasp-ala-too", "vasp-issyk", "vasp-osh")
PERIODS = ("2026-10", "2026-11")
amounts = st.integers(min_value=0, max_value=10**24)
counts = st.integers(min_value=1, max_value=10**6)


@st.composite
def lines(draw: st.DrawFn) -> dict[str, Any]:
    pairs = draw(st.lists(st.tuples(st.sampled_from(SYMBOLS), st.sampled_from(SYMBOLS)).filter(lambda p: p[0] != p[1]),
                          unique=True, max_size=4))
    held = draw(st.lists(st.sampled_from(SYMBOLS), unique=True, max_size=3))
    return {"pairs": [pair(base, quote, draw(amounts), draw(amounts), draw(counts)) for base, quote in sorted(pairs)],
            "assets": [asset(symbol, draw(amounts), draw(amounts)) for symbol in sorted(held)],
            "customers": draw(counts)}


@st.composite
def submissions(draw: st.DrawFn) -> list[Report]:
    """Every version of some VASPs' months, shuffled (the order they arrived in)."""
    found = []
    for vasp_id in VASPS:
        for period in PERIODS:
            for version in range(1, draw(st.integers(min_value=0, max_value=3)) + 1):
                found.append(parse_report(report(vasp_id=vasp_id, period=period, version=version,
                                                 reason="" if version == 1 else f"amendment {version}",
                                                 **draw(lines()))))
    return draw(st.permutations(found))


def _reference(reports: list[Report], period: str) -> dict[str, Any]:
    """Sums over each VASP's highest version, by plain loops over the lines."""
    latest = [r for r in reports if r.period == period
              and r.version == max(o.version for o in reports if (o.vasp_id, o.period) == (r.vasp_id, r.period))]
    volume = trades = 0
    per_asset: dict[str, list[int]] = {}
    for r in latest:
        for p in r.pairs:
            volume += int(p.volume_tyiyn)
            trades += p.trades
            per_asset.setdefault(p.base, [0, 0, 0])[0] += int(p.volume_tyiyn)
        for line in r.assets:
            totals = per_asset.setdefault(line.asset, [0, 0, 0])
            totals[1] += int(line.deposits_units)
            totals[2] += int(line.withdrawals_units)
    return {"reports": len(latest), "volume_tyiyn": str(volume), "trades": trades,
            "customers": sum(r.customers for r in latest),
            "assets": {symbol: [str(v) for v in values] for symbol, values in per_asset.items()}}


def _seen(month: dict[str, Any]) -> dict[str, Any]:
    return {"reports": month["reports"], "volume_tyiyn": month["volume_tyiyn"], "trades": month["trades"],
            "customers": month["customers"],
            "assets": {a["asset"]: [a["volume_tyiyn"], a["deposits_units"], a["withdrawals_units"]]
                       for a in month["assets"]}}


@settings(max_examples=150, deadline=None)
@given(submissions(), st.randoms(use_true_random=False))
def test_aggregates_are_the_sums_of_the_latest_versions_in_any_order(reports: list[Report], rng: Any) -> None:
    published = aggregates(reports)
    shuffled = list(reports)
    rng.shuffle(shuffled)
    assert aggregates(shuffled) == published
    for month in published:
        assert _seen(month) == _reference(reports, month["period"])
    assert {month["period"] for month in published} == {r.period for r in reports}
