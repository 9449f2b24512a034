"""The published aggregates of a month, derived from the latest version of each VASP's
report: the same function serves the API and an outsider's recomputation.

Per month: the reports counted, the volume in tyiyn, the trades and the customers (a
person who is a customer of two VASPs counts twice). Per pair: its volumes and trades.
Per asset: what was traded with it as the base (units, tyiyn, trades), and its deposits
and withdrawals. Lists are sorted; amounts are strings of integers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Final

from digisom.vasp_reports.report import Report

# A month's aggregates go public (the transparency log) only once this many exchanges
# reported it: below that, the "market" figures are one or two exchanges' own (the usual
# threshold rule of statistical disclosure control).
PUBLIC_REPORTERS_MIN: Final = 3


def publishable(latest: Iterable[Report]) -> bool:
    """Whether a month's latest reports come from enough exchanges to be published."""
    return len({report.vasp_id for report in latest}) >= PUBLIC_REPORTERS_MIN


def latest_versions(reports: Iterable[Report]) -> list[Report]:
    """Each (VASP, period)'s report of the highest version, sorted by period then VASP."""
    latest: dict[tuple[str, str], Report] = {}
    for report in reports:
        key = (report.period, report.vasp_id)
        if key not in latest or latest[key].version < report.version:
            latest[key] = report
    return [latest[key] for key in sorted(latest)]


def _counter() -> defaultdict[str, int]:
    return defaultdict(int)


def month_aggregates(period: str, latest: Iterable[Report]) -> dict[str, Any]:
    """The aggregates of `period` over `latest` (one report per VASP; others ignored)."""
    counted = [report for report in latest if report.period == period]
    pairs: defaultdict[tuple[str, str], defaultdict[str, int]] = defaultdict(_counter)
    assets: defaultdict[str, defaultdict[str, int]] = defaultdict(_counter)
    for report in counted:
        for pair in report.pairs:
            for into in (pairs[pair.base, pair.quote], assets[pair.base]):
                into["volume_base_units"] += int(pair.volume_base_units)
                into["volume_tyiyn"] += int(pair.volume_tyiyn)
                into["trades"] += pair.trades
        for line in report.assets:
            assets[line.asset]["deposits_units"] += int(line.deposits_units)
            assets[line.asset]["withdrawals_units"] += int(line.withdrawals_units)
    return {
        "period": period,
        "reports": len(counted),
        "volume_tyiyn": str(sum(total["volume_tyiyn"] for total in pairs.values())),
        "trades": sum(total["trades"] for total in pairs.values()),
        "customers": sum(report.customers for report in counted),
        "pairs": [{"base": base, "quote": quote, "volume_base_units": str(total["volume_base_units"]),
                   "volume_tyiyn": str(total["volume_tyiyn"]), "trades": total["trades"]}
                  for (base, quote), total in sorted(pairs.items())],
        "assets": [{"asset": asset, "volume_base_units": str(total["volume_base_units"]),
                    "volume_tyiyn": str(total["volume_tyiyn"]), "trades": total["trades"],
                    "deposits_units": str(total["deposits_units"]),
                    "withdrawals_units": str(total["withdrawals_units"])}
                   for asset, total in sorted(assets.items())],
    }


def aggregates(reports: Iterable[Report]) -> list[dict[str, Any]]:
    """The aggregates of every period `reports` (any versions) cover, by period."""
    latest = latest_versions(reports)
    return [month_aggregates(period, latest) for period in sorted({report.period for report in latest})]
