"""The central bank's RTGS screen: the queue of payments waiting for liquidity, which
reloads itself (static/live.js, with a pause button), and the form that runs the gridlock
resolution (LSM) now, with how many payments that run settled.

Both go through the process's `Rtgs`, the one the API's interbank routes use
(`Rtgs.queued` behind `GET /v1/interbank/queue`, `Rtgs.run_lsm` behind
`POST /v1/interbank/lsm-runs`), under the same MATRIX operations.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from digisom.console.screens.pages import PAGE_ROWS, AfterQuery, past_the_cursor
from digisom.console.web import PREFIX, SignedIn, console_of, posted, render, viewer
from digisom.http.services import filled
from digisom.interbank.http.slots import RTGS
from digisom.interbank.rtgs import Rtgs

BASE: Final = PREFIX + "/central-bank/rtgs"
# The queue changes as payments arrive and settle: the page reloads itself this often.
QUEUE_REFRESH_S: Final = 5


def _rtgs(request: Request) -> Rtgs:
    return filled(console_of(request).api, RTGS).get()


def _queue_page(request: Request, who: SignedIn, after: int, lsm_settled: int | None = None) -> Response:
    found = _rtgs(request).queued(after, PAGE_ROWS)
    past_the_cursor(after, len(found))
    next_after = found[-1].seq if len(found) == PAGE_ROWS else None
    # Not while showing an LSM run's result: a reload would post the form again.
    refresh_s = QUEUE_REFRESH_S if lsm_settled is None else None
    return render(request, "central_bank/rtgs.html", who, queued=found, after=after, next_after=next_after,
                  refresh_s=refresh_s, lsm_settled=lsm_settled)


def router() -> APIRouter:
    """The RTGS queue page and the LSM form."""
    r = APIRouter()

    @r.get(BASE)
    def queue(request: Request, after: AfterQuery = 0) -> Response:
        """The queued payments, every bank's, in arrival order; reloads itself."""
        return _queue_page(request, viewer(request, "interbank.queue"), after)

    @r.post(BASE + "/lsm-runs")
    async def lsm_run(request: Request) -> Response:
        """Run the gridlock resolution now (`interbank.lsm`); the queue with the run's result."""
        who, _form = await posted(request, "interbank.lsm")
        settled = await run_in_threadpool(_rtgs(request).run_lsm)
        return _queue_page(request, who, 0, lsm_settled=settled)

    return r
