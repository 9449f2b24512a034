"""Compliance's screens: the review queue (reviews not yet decided, oldest first) and a
review's page with its steps and the decision forms: one officer proposes an outcome,
a second (never the proposer or the opener) approves it or sends it back.

The forms go through the compliance desk the API's routes use (`ComplianceDesk`:
`decisions.propose`, `approve`, `decisions.reject`), with the API's request schemas, so
four eyes hold as in the API: the desk refuses the proposer's own approval.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from digisom.compliance.decisions import ReviewOutcome
from digisom.compliance.desk import ComplianceDesk
from digisom.compliance.http import routes as api
from digisom.compliance.http.slots import COMPLIANCE_DESK
from digisom.console.screens.pages import PAGE_ROWS, AfterQuery, past_the_cursor
from digisom.console.web import PREFIX, console_of, parsed, posted, render, see_other, viewer
from digisom.http.services import filled

BASE: Final = PREFIX + "/compliance/reviews"
ReviewPath = Annotated[int, Path(ge=1, le=2**62)]


def _desk(request: Request) -> ComplianceDesk:
    return filled(console_of(request).api, COMPLIANCE_DESK)


def _who_name(principal: str) -> str:
    # As the API records the officer: the token's principal, at most 64 characters.
    return principal[:64]


def router() -> APIRouter:
    """The review queue and the decision forms."""
    r = APIRouter()

    @r.get(BASE)
    def queue(request: Request, after: AfterQuery = 0) -> Response:
        """The reviews not yet decided, oldest first."""
        who = viewer(request, "compliance.reviews.list")
        found = _desk(request).decisions.open_reviews(after, PAGE_ROWS)
        past_the_cursor(after, len(found))
        next_after = found[-1].review_id if len(found) == PAGE_ROWS else None
        return render(request, "compliance/reviews.html", who, reviews=found, after=after, next_after=next_after)

    @r.get(BASE + "/{review_id}")
    def review(request: Request, review_id: ReviewPath) -> Response:
        """A review, every step of its decision, and the form this officer may use."""
        who = viewer(request, "compliance.reviews.read")
        desk = _desk(request)
        found = desk.decisions.review(review_id)
        return render(request, "compliance/review.html", who, review=found, steps=desk.decisions.steps(review_id),
                      release=desk.releases.status(review_id), me=_who_name(who.actor.principal),
                      outcomes=[o.value for o in ReviewOutcome])

    @r.post(BASE + "/{review_id}/propose")
    async def propose(request: Request, review_id: ReviewPath) -> Response:
        """Propose an outcome with a reason (`compliance.reviews.propose`)."""
        who, form = await posted(request, "compliance.reviews.propose")
        body = parsed(api.DecisionIn, {"outcome": form.get("outcome"), "reason": form.get("reason")})
        await run_in_threadpool(_desk(request).decisions.propose, review_id, _who_name(who.actor.principal),
                                ReviewOutcome(body.outcome), body.reason)
        return see_other(f"{BASE}/{review_id}")

    @r.post(BASE + "/{review_id}/approve")
    async def approve(request: Request, review_id: ReviewPath) -> Response:
        """Approve the proposed outcome (`compliance.reviews.approve`): never the proposer."""
        who, form = await posted(request, "compliance.reviews.approve")
        body = parsed(api.DecisionIn, {"outcome": form.get("outcome"), "reason": form.get("reason")})
        await run_in_threadpool(_desk(request).approve, review_id, _who_name(who.actor.principal),
                                ReviewOutcome(body.outcome), body.reason)
        return see_other(f"{BASE}/{review_id}")

    @r.post(BASE + "/{review_id}/reject")
    async def reject(request: Request, review_id: ReviewPath) -> Response:
        """Send the proposal back (`compliance.reviews.approve`): the review is open again."""
        who, form = await posted(request, "compliance.reviews.approve")
        body = parsed(api.RejectionIn, {"reason": form.get("reason")})
        await run_in_threadpool(_desk(request).decisions.reject, review_id, _who_name(who.actor.principal),
                                body.reason)
        return see_other(f"{BASE}/{review_id}")

    return r
