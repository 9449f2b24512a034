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
from digisom.compliance.desk import RULE_NO_LIST, Recorded
from digisom.compliance.http.slots import desk, listeners
from digisom.compliance.model import SubjectSchema
from digisom.http import fields
from digisom.http.idempotency import IdempotencyKey, idempotent
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


class ReviewOut(BaseModel):
    """A review as it stands."""

    review_id: int
    screening_id: int
    subject: str
    decision: str
    score_milli: int
    opened_by: str
    status: str
    decided_by: str | None
    reason: str | None


class ReviewPage(BaseModel):
    """The open reviews, oldest first."""

    items: list[ReviewOut]


class DecisionIn(BaseModel):
    """An officer's decision: `cleared` (not the listed party) or `confirmed` (it is: a hit)."""

    outcome: Literal["cleared", "confirmed"]
    reason: Annotated[fields.PlainText, Field(min_length=1, max_length=2000)]


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


def _review(r: Review) -> ReviewOut:
    return ReviewOut(review_id=r.review_id, screening_id=r.screening_id, subject=r.subject,
                     decision=r.decision.value, score_milli=r.score_milli, opened_by=r.opened_by, status=r.status,
                     decided_by=r.decided_by, reason=r.reason)


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
    def queue(request: Request, _actor: Annotated[Actor, Depends(Authorize("compliance.reviews.list"))]
              ) -> JSONResponse:
        """The reviews not yet decided, oldest first."""
        return json(ReviewPage(items=[_review(x) for x in desk(request).decisions.open_reviews()]))

    @r.get("/reviews/{review_id}", response_model=ReviewOut, responses=READ_PROBLEMS)
    def review(request: Request, review_id: ReviewPath,
               _actor: Annotated[Actor, Depends(Authorize("compliance.reviews.read"))]) -> JSONResponse:
        """One review and how it was decided."""
        return json(_review(desk(request).decisions.review(review_id)))

    @r.post("/reviews/{review_id}/decision", response_model=ReviewOut, responses=WRITE_PROBLEMS)
    def decide(request: Request, review_id: ReviewPath, body: DecisionIn, key: IdempotencyKey,
               actor: Annotated[Actor, Depends(Authorize("compliance.reviews.decide"))]) -> Response:
        """Decide a review: never by whoever opened it (four eyes); once. What was held on
        it (a remittance) is then released or returned."""
        def produce() -> Response:
            decided = desk(request).decisions.decide(review_id, actor.principal[:64], ReviewOutcome(body.outcome),
                                                     body.reason)
            for listener in listeners(request):
                listener.decided(decided)
            return json(_review(decided))
        return idempotent(request, actor, key, body, produce)

    @r.get("/lists", response_model=ListsOut, responses=READ_PROBLEMS)
    def lists(request: Request, _actor: Annotated[Actor, Depends(Authorize("compliance.lists"))]) -> JSONResponse:
        """The lists loaded, each with its version (SHA-256) and date."""
        loaded = desk(request).loaded()
        return json(ListsOut(loaded=bool(loaded), rule_without_lists=RULE_NO_LIST,
                             lists=[ListOut(source=x.source, version=x.version, list_date=x.list_date,
                                            entities=x.entities) for x in loaded]))

    return r
