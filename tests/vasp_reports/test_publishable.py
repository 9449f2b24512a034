"""A month's VASP aggregates are published only once enough exchanges reported it: with
one or two, the market figures would be those exchanges' own."""

from __future__ import annotations

from digisom.vasp_reports.aggregates import PUBLIC_REPORTERS_MIN, latest_versions, publishable
from digisom.vasp_reports.report import parse_report
from tests.vasp_reports.helpers import report


def test_a_month_is_publishable_from_the_threshold_of_distinct_exchanges() -> None:
    exchanges = [f"vasp-{n}" for n in range(PUBLIC_REPORTERS_MIN)]
    reports = [parse_report(report(vasp_id=vasp_id)) for vasp_id in exchanges]
    assert publishable(latest_versions(reports))
    assert not publishable(latest_versions(reports[:-1]))


def test_versions_of_one_exchange_count_once() -> None:
    versions = [parse_report(report(vasp_id="vasp-ala-too", version=v, reason="" if v == 1 else "corrected"))
                for v in range(1, PUBLIC_REPORTERS_MIN + 2)]
    assert not publishable(versions)
