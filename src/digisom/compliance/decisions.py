"""Screening decisions kept for an examiner, and the four-eyes review queue.

Every screening is recorded with the list versions, the score, the rule, who asked and
when, in the same transaction that opens its review when the decision is `review`: a
decision is never lost between the two. Every review is decided by two officers: one
proposes an outcome with a reason, another (neither the proposer nor the opener) approves
it or rejects it (back to open); checked here and by the table's CHECKs. Each step is a
guarded update (of two officers approving at the same moment, one wins and the other is
told) and is kept in `compliance_review_steps`. The approval writes the review's release
(`compliance_review_releases`, the outbox `releases.Releases` works off) in its own
transaction, so no final decision is left without its release.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import ColumnElement, Connection, CursorResult, Engine, insert, select, update

from digisom.compliance import tables
from digisom.compliance.errors import (
    FourEyesViolation,
    ProposalMismatch,
    ReviewAlreadyDecided,
    ReviewNotFound,
    ScreeningInputInvalid,
)
from digisom.compliance.model import Decision, ScreeningResult
from digisom.errors import invariant
from digisom.kernel.clock import iso_utc, utc_now

REASON_CHARS_MAX: Final = 2000


class ReviewOutcome(StrEnum):
    """An officer's answer: the match is not the subject (`cleared`), or it is (`confirmed`: treat as a hit)."""

    CLEARED = "cleared"
    CONFIRMED = "confirmed"


@dataclass(frozen=True, slots=True)
class Review:
    """A review as it stands."""

    review_id: int
    screening_id: int
    subject: str
    decision: Decision
    score_milli: int
    opened_by: str
    status: str
    decided_by: str | None  # the second officer, who approved
    reason: str | None  # the proposal's reason
    context: str = ""  # where the screening ran (wallet_opening, remittance, ...)
    proposed_by: str | None = None
    proposed_outcome: str | None = None
    rule: str = ""
    list_versions: str = ""


@dataclass(frozen=True, slots=True)
class ReviewStep:
    """One kept step: `proposed`, `approved` or `rejected`, by whom, which outcome, why and when."""

    action: str
    officer: str
    outcome: str
    reason: str
    at: str


def _person(name: str, role: str) -> str:
    if not 0 < len(name.strip()) <= tables.PERSON_CHARS_MAX:
        raise ScreeningInputInvalid(f"the {role} must be named (1 to {tables.PERSON_CHARS_MAX} characters)")
    return name.strip()


def _reason(reason: str) -> str:
    if not 0 < len(reason.strip()) <= REASON_CHARS_MAX:
        raise ScreeningInputInvalid(f"a decision needs a reason (1 to {REASON_CHARS_MAX} characters)")
    return reason.strip()


def _step(conn: Connection, review_id: int, action: str, officer: str, outcome: str, reason: str, now: str) -> None:
    conn.execute(insert(tables.review_steps).values(review_id=review_id, action=action, officer=officer,
                                                    outcome=outcome, reason=reason, at=now))


def _new_id(result: CursorResult[Any]) -> int:
    key = result.inserted_primary_key
    invariant(key is not None and key[0] is not None, "an insert returned no key")
    return int(key[0]) if key else 0


class Decisions:
    """Records screenings and runs the review queue on the domain's database."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utc_now) -> None:
        self._engine = engine
        self._clock = clock

    def record(
        self, result: ScreeningResult, *, subject: str, subject_kind: str, subject_schema: str, context: str,
        requested_by: str,
    ) -> int:
        """Keep `result`; open its review if it is a `review`. Returns the screening id."""
        requested_by = _person(requested_by, "requester")
        now = iso_utc(self._clock())
        matches = [match.as_json() | {"list_version": match.list_version} for match in result.matches]
        with self._engine.begin() as conn:
            screening_id = _new_id(conn.execute(insert(tables.screenings).values(
                subject_kind=subject_kind, subject=subject[: tables.SUBJECT_CHARS_MAX], subject_schema=subject_schema,
                context=context[:64], requested_by=requested_by, decision=result.decision.value, rule=result.rule,
                score_milli=result.score_milli, list_versions=",".join(result.list_versions),
                matches=json.dumps(matches, ensure_ascii=False), screened_at=now,
            )))  # fmt: skip
            if result.decision is Decision.REVIEW:
                self._open(conn, screening_id, requested_by, now)
        return screening_id

    def open_review(self, screening_id: int, opened_by: str) -> int:
        """Open a review of a recorded screening (a `hit` someone disputes, say); returns its id."""
        opened_by = _person(opened_by, "officer")
        with self._engine.begin() as conn:
            if conn.execute(select(tables.screenings.c.screening_id)
                            .where(tables.screenings.c.screening_id == screening_id)).first() is None:
                raise ReviewNotFound(f"no screening {screening_id}")
            if conn.execute(select(tables.reviews.c.review_id)
                            .where(tables.reviews.c.screening_id == screening_id)).first() is not None:
                raise ReviewAlreadyDecided(f"screening {screening_id} already has a review")
            return self._open(conn, screening_id, opened_by, iso_utc(self._clock()))

    @staticmethod
    def _open(conn: Connection, screening_id: int, opened_by: str, now: str) -> int:
        return _new_id(conn.execute(insert(tables.reviews).values(
            screening_id=screening_id, opened_by=opened_by, opened_at=now, status="open",
        )))  # fmt: skip

    def propose(self, review_id: int, officer: str, outcome: ReviewOutcome, reason: str) -> Review:
        """The first officer's proposal (an outcome and why); a second officer approves or rejects it."""
        officer, reason = _person(officer, "officer"), _reason(reason)
        now = iso_utc(self._clock())
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(tables.reviews)
                .where(tables.reviews.c.review_id == review_id, tables.reviews.c.status == "open")
                .values(status="proposed", proposed_by=officer, proposed_outcome=outcome.value, proposed_at=now,
                        reason=reason)
            ).rowcount
            if changed == 1:
                _step(conn, review_id, "proposed", officer, outcome.value, reason, now)
        if changed != 1:
            raise ReviewAlreadyDecided(f"review {review_id} is {self.review(review_id).status}, not open")
        return self.review(review_id)

    def approve(self, review_id: int, officer: str, outcome: ReviewOutcome, reason: str) -> Review:
        """The second officer approves the proposal: the review is decided (`outcome` must be
        the one proposed), and its release is queued in the same transaction (`releases`)."""
        officer, reason = _person(officer, "officer"), _reason(reason)
        review = self._proposed(review_id, officer, "approve")
        if review.proposed_outcome != outcome.value:
            raise ProposalMismatch(f"review {review_id} was proposed {review.proposed_outcome}, not {outcome.value}; "
                                   "reject the proposal instead")
        now = iso_utc(self._clock())
        r = tables.reviews.c
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(tables.reviews)
                .where(r.review_id == review_id, r.status == "proposed", r.proposed_by == review.proposed_by,
                       r.proposed_outcome == outcome.value)
                .values(status=outcome.value, decided_by=officer, decided_at=now)
            ).rowcount
            if changed == 1:
                _step(conn, review_id, "approved", officer, outcome.value, reason, now)
                conn.execute(insert(tables.releases).values(
                    review_id=review_id, context=review.context, outcome=outcome.value, status="pending", attempts=0,
                    created_at=now,
                ))  # fmt: skip
        if changed != 1:
            raise ReviewAlreadyDecided(f"review {review_id} was decided or its proposal changed meanwhile")
        return self.review(review_id)

    def reject(self, review_id: int, officer: str, reason: str) -> Review:
        """The second officer rejects the proposal: the review is open again, the step kept."""
        officer, reason = _person(officer, "officer"), _reason(reason)
        review = self._proposed(review_id, officer, "reject")
        now = iso_utc(self._clock())
        r = tables.reviews.c
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(tables.reviews)
                .where(r.review_id == review_id, r.status == "proposed", r.proposed_by == review.proposed_by)
                .values(status="open", proposed_by=None, proposed_outcome=None, proposed_at=None, reason=None)
            ).rowcount
            if changed == 1:
                _step(conn, review_id, "rejected", officer, review.proposed_outcome or "", reason, now)
        if changed != 1:
            raise ReviewAlreadyDecided(f"review {review_id} was decided or its proposal changed meanwhile")
        return self.review(review_id)

    def _proposed(self, review_id: int, officer: str, action: str) -> Review:
        """The review, if it has a proposal `officer` may act on (four eyes: not its proposer,
        not its opener)."""
        review = self.review(review_id)
        if review.status != "proposed":
            raise ReviewAlreadyDecided(f"review {review_id} is {review.status}: nothing proposed to {action}")
        if officer in (review.proposed_by, review.opened_by):
            raise FourEyesViolation(f"{officer} proposed or opened review {review_id}; another officer must {action}")
        return review

    def steps(self, review_id: int) -> list[ReviewStep]:
        """Every step of a review's decision, in order."""
        s = tables.review_steps.c
        with self._engine.connect() as conn:
            rows = conn.execute(select(tables.review_steps).where(s.review_id == review_id).order_by(s.step_id))
            return [ReviewStep(row.action, row.officer, row.outcome, row.reason, row.at) for row in rows]

    def review(self, review_id: int) -> Review:
        """One review, with the screening it is about."""
        rows = self._reviews(tables.reviews.c.review_id == review_id)
        if not rows:
            raise ReviewNotFound(f"no review {review_id}")
        return rows[0]

    def reviews_of(self, screening_ids: Sequence[int]) -> dict[int, Review]:
        """The reviews of these screenings, by screening id (a screening without one is absent)."""
        if not screening_ids:
            return {}
        return {r.screening_id: r for r in self._reviews(tables.reviews.c.screening_id.in_(list(screening_ids)))}

    def open_reviews(self, after_id: int = 0, limit: int | None = None) -> list[Review]:
        """The queue: reviews not yet decided (open, or proposed and awaiting a second officer),
        oldest first; with `limit`, a page of at most that many after review `after_id`."""
        condition = tables.reviews.c.status.in_(("open", "proposed")) & (tables.reviews.c.review_id > after_id)
        return self._reviews(condition, limit)

    def _reviews(self, condition: ColumnElement[bool], limit: int | None = None) -> list[Review]:
        r, s = tables.reviews.c, tables.screenings.c
        query = (
            select(r.review_id, r.screening_id, s.subject, s.decision, s.score_milli, r.opened_by, r.status,
                   r.decided_by, r.reason, s.context, r.proposed_by, r.proposed_outcome, s.rule, s.list_versions)
            .join_from(tables.reviews, tables.screenings, r.screening_id == s.screening_id)
            .where(condition)
            .order_by(r.review_id)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [
                Review(row.review_id, row.screening_id, row.subject, Decision(row.decision), row.score_milli,
                       row.opened_by, row.status, row.decided_by, row.reason, row.context, row.proposed_by,
                       row.proposed_outcome, row.rule, row.list_versions)
                for row in conn.execute(query)
            ]
