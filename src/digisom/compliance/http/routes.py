"""/v1/compliance: screen a name or an address (recorded like every decision), the review
queue and its four-eyes decisions, and the lists loaded (with their versions and dates; an
empty list says plainly that nothing is screened against)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, model_validator

from digisom.compliance.decisions import Review, ReviewOutcome
from digisom.compliance.desk import RULE_NO_LIST, ComplianceDesk, Recorded
from digisom.compliance.http.slots import desk
from digisom.compliance.model import SubjectSchema
from digisom.http import fields
from digisom.http.idempotency import IdempotencyKey, idempotent
from digisom.http.pagination import PAGE_LIMIT_DEFAULT, Cursor, Limit, decode_cursor, keyset_cursor
from digisom.http.permissions import Authorize
from digisom.http.render import READ_PROBLEMS, WRITE_PROBLEMS, json
from digisom.kernel.access import Actor

ReviewPath = Annotated[int, Path(ge=1, le=2**62, description="A review id.")]
Subject = Annotated[fields.PlainText, Field(min_length=1, max_length=500)]


class ScreenIn(BaseModel):
    """Exactly one of a name (with what it names) and a wallet address."""

    name: Subject | None = None
    schema_: Annotated[Literal["Person", "Organization", "Any"], Field(alias="schema")] = "Any"
    address: Annotated[fields.PlainText, Field(min_length=1, max_length=128)] | None = None

    @model_validator(mode="after")
    def _one_subject(self) -> ScreenIn:
        if (self.name is None) == (self.address is None):
            raise ValueError("give exactly one of name and address")
        return self


class MatchOut(BaseModel):
    """A listed entity resembling the subject; `score` is 0.000..1.000."""

    id: str
    caption: str
    score: str
    list_version: str


class ScreeningOut(BaseModel):
    """A recorded decision and why."""

    screening_id: int
    decision: Literal["hit", "review", "clear"]
    rule: str
    score_milli: int
    list_versions: list[str]
    lists_loaded: bool
    matches: list[MatchOut]


class StepOut(BaseModel):
    """One kept step of the decision: proposed, approved or rejected."""

    action: str
    officer: str
    outcome: str
    reason: str
    at: str


class ReleaseOut(BaseModel):
    """What the final decision released: `pending` until the domain holding it acted."""

    status: str
    attempts: int
    last_error: str | None
    note: str | None


class ReviewOut(BaseModel):
    """A review as it stands: `open`, `proposed` (awaiting a second officer), `cleared` or
    `confirmed`; `decided_by` is the approving officer, `reason` the proposal's."""

    review_id: int
    screening_id: int
    context: str
    subject: str
    decision: str
    score_milli: int
    rule: str
    list_versions: list[str]
    opened_by: str
    status: str
    proposed_by: str | None
    proposed_outcome: str | None
    decided_by: str | None
    reason: str | None
    steps: list[StepOut] = []
    release: ReleaseOut | None = None


class ReviewPage(BaseModel):
    """The open reviews, oldest first; `next_cursor` asks for the next page (null: none)."""

    items: list[ReviewOut]
    next_cursor: str | None


Reason = Annotated[fields.PlainText, Field(min_length=1, max_length=2000)]


class DecisionIn(BaseModel):
    """A proposal, or its approval (the same outcome): `cleared` (not the listed party) or
    `confirmed` (it is: a hit), with the officer's reason."""

    outcome: Literal["cleared", "confirmed"]
    reason: Reason


class RejectionIn(BaseModel):
    """Why the second officer sends the proposal back (the review is open again)."""

    reason: Reason


class RunOut(BaseModel):
    """A run of the pending releases: done now, failed now (left pending), and the reviews still pending."""

    done: int
    failed: int
    pending: list[int]


class ListOut(BaseModel):
    """One loaded list: its version is the SHA-256 of its file(s)."""

    source: str
    version: str
    list_date: date
    entities: int


class ListsOut(BaseModel):
    """The lists screened against; `loaded` false means every screening is `clear` under
    the rule `no_list_loaded`."""

    loaded: bool
    rule_without_lists: str
    lists: list[ListOut]


def _screening(recorded: Recorded, loaded: bool) -> ScreeningOut:
    r = recorded.result
    return ScreeningOut(screening_id=recorded.screening_id, decision=r.decision.value, rule=r.rule,
                        score_milli=r.score_milli, list_versions=list(r.list_versions), lists_loaded=loaded,
                        matches=[MatchOut(id=m.entity_id, caption=m.caption, score=str(m.as_json()["score"]),
                                          list_version=m.list_version) for m in r.matches])


def _review(r: Review, found: ComplianceDesk | None = None) -> ReviewOut:
    """The review; with the desk, also its steps and its release."""
    steps: list[StepOut] = []
    release = None
    if found is not None:
        steps = [StepOut(action=x.action, officer=x.officer, outcome=x.outcome, reason=x.reason, at=x.at)
                 for x in found.decisions.steps(r.review_id)]
        state = found.releases.status(r.review_id)
        if state is not None:
            release = ReleaseOut(status=state[0], attempts=state[1], last_error=state[2], note=state[3])
    return ReviewOut(review_id=r.review_id, screening_id=r.screening_id, context=r.context, subject=r.subject,
                     decision=r.decision.value, score_milli=r.score_milli, rule=r.rule,
                     list_versions=[v for v in r.list_versions.split(",") if v], opened_by=r.opened_by,
                     status=r.status, proposed_by=r.proposed_by, proposed_outcome=r.proposed_outcome,
                     decided_by=r.decided_by, reason=r.reason, steps=steps, release=release)


def router() -> APIRouter:
    """The compliance routes."""
    r = APIRouter(prefix="/v1/compliance", tags=["compliance"])

    @r.post("/screenings", status_code=201, response_model=ScreeningOut, responses=WRITE_PROBLEMS)
    def screen(request: Request, body: ScreenIn, key: IdempotencyKey,
               actor: Annotated[Actor, Depends(Authorize("compliance.screen"))]) -> Response:
        """Screen a name or an address against the loaded lists; the decision is recorded
        (a `review` opens one in the queue) and answered with its matches, best first."""
        def produce() -> Response:
            found = desk(request)
            who = actor.principal[:64]
            if body.name is not None:
                recorded = found.screen_name(body.name, SubjectSchema(body.schema_), context="api", requested_by=who)
            else:
                recorded = found.screen_address(body.address or "", context="api", requested_by=who)
            return json(_screening(recorded, bool(found.loaded())), 201)
        return idempotent(request, actor, key, body, produce)

    @r.get("/reviews", response_model=ReviewPage, responses=READ_PROBLEMS)
    def queue(request: Request, _actor: Annotated[Actor, Depends(Authorize("compliance.reviews.list"))],
              cursor: Cursor = None, limit: Limit = PAGE_LIMIT_DEFAULT) -> JSONResponse:
        """The reviews not yet decided, oldest first, a page at a time."""
        found = desk(request).decisions.open_reviews(decode_cursor(cursor), limit)
        return json(ReviewPage(items=[_review(x) for x in found],
                               next_cursor=keyset_cursor(found, limit, lambda x: x.review_id)))

    @r.get("/reviews/{review_id}", response_model=ReviewOut, responses=READ_PROBLEMS)
    def review(request: Request, review_id: ReviewPath,
               _actor: Annotated[Actor, Depends(Authorize("compliance.reviews.read"))]) -> JSONResponse:
        """One review: every step of its decision (who, when, why) and what its decision released."""
        found = desk(request)
        return json(_review(found.decisions.review(review_id), found))

    @r.post("/reviews/{review_id}/propose", response_model=ReviewOut, responses=WRITE_PROBLEMS)
    def propose(request: Request, review_id: ReviewPath, body: DecisionIn, key: IdempotencyKey,
                actor: Annotated[Actor, Depends(Authorize("compliance.reviews.propose"))]) -> Response:
        """The first officer proposes an outcome with a reason; a second officer decides."""
        def produce() -> Response:
            found = desk(request)
            proposed = found.decisions.propose(review_id, actor.principal[:64], ReviewOutcome(body.outcome),
                                               body.reason)
            return json(_review(proposed, found))
        return idempotent(request, actor, key, body, produce)

    @r.post("/reviews/{review_id}/approve", response_model=ReviewOut, responses=WRITE_PROBLEMS)
    def approve(request: Request, review_id: ReviewPath, body: DecisionIn, key: IdempotencyKey,
                actor: Annotated[Actor, Depends(Authorize("compliance.reviews.approve"))]) -> Response:
        """A second officer (neither the proposer nor the opener) approves the proposed outcome:
        the review is decided, once, and what was held on it is released or kept."""
        def produce() -> Response:
            found = desk(request)
            decided = found.approve(review_id, actor.principal[:64], ReviewOutcome(body.outcome), body.reason)
            return json(_review(decided, found))
        return idempotent(request, actor, key, body, produce)

    @r.post("/reviews/{review_id}/reject", response_model=ReviewOut, responses=WRITE_PROBLEMS)
    def reject(request: Request, review_id: ReviewPath, body: RejectionIn, key: IdempotencyKey,
               actor: Annotated[Actor, Depends(Authorize("compliance.reviews.approve"))]) -> Response:
        """A second officer sends the proposal back: the review is open again, the step kept."""
        def produce() -> Response:
            found = desk(request)
            return json(_review(found.decisions.reject(review_id, actor.principal[:64], body.reason), found))
        return idempotent(request, actor, key, body, produce)

    @r.post("/releases/run", response_model=RunOut, responses=WRITE_PROBLEMS)
    def run_releases(request: Request, key: IdempotencyKey,
                     actor: Annotated[Actor, Depends(Authorize("compliance.releases.run"))]) -> Response:
        """Retry the releases still pending (a domain that failed, a crash after a decision)."""
        def produce() -> Response:
            report = desk(request).releases.run()
            return json(RunOut(done=report.done, failed=report.failed, pending=desk(request).releases.pending()))
        return idempotent(request, actor, key, None, produce)

    @r.get("/lists", response_model=ListsOut, responses=READ_PROBLEMS)
    def lists(request: Request, _actor: Annotated[Actor, Depends(Authorize("compliance.lists"))]) -> JSONResponse:
        """The lists loaded, each with its version (SHA-256) and date."""
        loaded = desk(request).loaded()
        return json(ListsOut(loaded=bool(loaded), rule_without_lists=RULE_NO_LIST,
                             lists=[ListOut(source=x.source, version=x.version, list_date=x.list_date,
                                            entities=x.entities) for x in loaded]))

    return r
