"""The USDKG issuer's screen: the coverage figure as it stands, today's published report,
the audits (signed ones, and for the issuer and auditors those awaiting a signature, as
the API shows them), and publishing today's coverage report.

The same calls and MATRIX operations as the API's `/v1/usdkg` routes: the page is
`usdkg.coverage.report` (issuer, auditor), publishing is `usdkg.coverage.publish` (the
issuer; a day already reported keeps its first report). Mints and redemptions need a
chain and stay with the API.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from digisom.console.web import PREFIX, console_of, posted, render, see_other, viewer
from digisom.http.services import filled
from digisom.usdkg import reports
from digisom.usdkg.http.routes import UNSIGNED_AUDIT_READERS
from digisom.usdkg.http.slots import USDKG
from digisom.usdkg.issuer import Issuer

BASE: Final = PREFIX + "/usdkg"


def _issuer(request: Request) -> Issuer:
    return filled(console_of(request).api, USDKG)


def _published(service: Issuer, day: str) -> reports.DailyReport | None:
    try:
        return reports.daily_report(service.engine, day)
    except KeyError:
        return None


def _publish_today(service: Issuer) -> reports.DailyReport:
    # As the API's route: the figure and the report's day from one reading of the clock.
    now = service.clock()
    return reports.publish_daily(service.engine, service.coverage.figure(now), now)


def router() -> APIRouter:
    """The coverage page and the publish form."""
    r = APIRouter()

    @r.get(BASE)
    def coverage(request: Request) -> Response:
        """The figure now, today's report if published, the audits this role may see."""
        who = viewer(request, "usdkg.coverage.report")
        service = _issuer(request)
        figure = reports.public_figure(service.coverage.figure(service.clock()))
        day = service.clock().date().isoformat()
        audits = [a for a in service.audits.all() if a.signed or who.actor.role in UNSIGNED_AUDIT_READERS]
        return render(request, "usdkg/coverage.html", who, figure=figure, day=day,
                      report=_published(service, day), audits=audits)

    @r.post(BASE + "/reports")
    async def publish(request: Request) -> Response:
        """Keep today's coverage report (`usdkg.coverage.publish`)."""
        await posted(request, "usdkg.coverage.publish")
        await run_in_threadpool(_publish_today, _issuer(request))
        return see_other(BASE)

    return r
