"""What a finally decided review releases, handed to the domain that held something on it.

Compliance imports no other domain: it declares the port (`ReviewSubscriber`, one per
screening context: `wallet_opening`, `remittance`, `kgst_redemption_sender`, ...) and the
composition root registers the domains' handlers. The approval that decides a review
writes its row in `compliance_review_releases` in the same transaction (the outbox);
`Releases.run` hands every pending row whose context has a subscriber to it and marks it
done with what the subscriber said. A crash between the decision and the release, or a
subscriber that raises, leaves the row pending (the error and the attempts counted) for
the next run. So a subscriber may be called twice for one decision (it crashed after
acting, before the row was marked): every subscriber is idempotent.

A context with no subscriber in this process stays pending (another process, say the KGST
bridge's, may hold the subscriber); a context where nothing is held registers
`NOTHING_HELD` explicitly rather than being skipped silently.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol

from sqlalchemy import Engine, select, update

from digisom.compliance import tables
from digisom.compliance.decisions import Decisions, ReviewOutcome
from digisom.kernel.clock import iso_utc, utc_now

RUN_ROWS_MAX: Final = 200
ERROR_CHARS_MAX: Final = 2000


@dataclass(frozen=True, slots=True)
class FinalDecision:
    """A review decided by two officers, as a subscriber sees it."""

    review_id: int
    screening_id: int
    context: str
    outcome: ReviewOutcome
    proposed_by: str
    approved_by: str
    reason: str
    rule: str
    score_milli: int
    list_versions: str

    @property
    def cleared(self) -> bool:
        """The match is not the subject: release what was held."""
        return self.outcome is ReviewOutcome.CLEARED

    def describe(self) -> str:
        """One line for the domain's own record: the review, its outcome and both officers."""
        return (f"compliance review {self.review_id} {self.outcome.value} (proposed by {self.proposed_by}, "
                f"approved by {self.approved_by}): {self.reason}")


class ReviewSubscriber(Protocol):
    """A domain's handler of final decisions for one screening context. Idempotent: called
    again for the same decision (a retry), it does nothing more and says what stands."""

    def __call__(self, decision: FinalDecision) -> str:
        """Act on `decision` (release or keep what was held); return a note of what was done."""
        ...


def nothing_held(decision: FinalDecision) -> str:
    """For contexts where a screening holds nothing (an officer's own screening, a refused mint)."""
    return f"nothing held under context {decision.context}"


NOTHING_HELD: Final[ReviewSubscriber] = nothing_held


@dataclass(frozen=True, slots=True)
class RunReport:
    """One run: how many releases were done, and how many failed (left pending)."""

    done: int
    failed: int


class Releases:
    """The outbox of final decisions and the subscribers this process runs them through."""

    def __init__(self, engine: Engine, decisions: Decisions, clock: Callable[[], datetime] = utc_now) -> None:
        self._engine = engine
        self._decisions = decisions
        self._clock = clock
        self._subscribers: dict[str, ReviewSubscriber] = {}

    def subscribe(self, context: str, subscriber: ReviewSubscriber) -> None:
        """Register the handler of `context`'s decisions (one per context; a second is a wiring error)."""
        if context in self._subscribers:
            raise ValueError(f"context {context!r} already has a review subscriber")
        self._subscribers[context] = subscriber

    def pending(self) -> list[int]:
        """The reviews whose release is not done yet (any context), oldest first."""
        c = tables.releases.c
        with self._engine.connect() as conn:
            return [int(x) for x in conn.execute(select(c.review_id).where(c.status == "pending")
                                                 .order_by(c.review_id)).scalars()]

    def run(self, limit: int = RUN_ROWS_MAX) -> RunReport:
        """Hand each pending release of a subscribed context to its subscriber, oldest first."""
        if not self._subscribers:
            return RunReport(0, 0)
        c = tables.releases.c
        with self._engine.connect() as conn:
            rows = conn.execute(select(c.review_id, c.context).where(
                c.status == "pending", c.context.in_(sorted(self._subscribers))
            ).order_by(c.review_id).limit(max(1, limit))).all()
        done = failed = 0
        for row in rows:
            if self._release(int(row.review_id), self._subscribers[row.context]):
                done += 1
            else:
                failed += 1
        return RunReport(done, failed)

    def _release(self, review_id: int, subscriber: ReviewSubscriber) -> bool:
        review = self._decisions.review(review_id)
        decision = FinalDecision(review.review_id, review.screening_id, review.context,
                                 ReviewOutcome(review.status), review.proposed_by or "", review.decided_by or "",
                                 review.reason or "", review.rule, review.score_milli, review.list_versions)
        c = tables.releases.c
        try:
            note = subscriber(decision)
        except Exception as error:
            with self._engine.begin() as conn:
                conn.execute(update(tables.releases).where(c.review_id == review_id, c.status == "pending").values(
                    attempts=c.attempts + 1, last_error=f"{type(error).__name__}: {error}"[:ERROR_CHARS_MAX]))
            return False
        with self._engine.begin() as conn:
            conn.execute(update(tables.releases).where(c.review_id == review_id, c.status == "pending").values(
                status="done", attempts=c.attempts + 1, note=(note or "done")[:ERROR_CHARS_MAX],
                done_at=iso_utc(self._clock())))
        return True

    def status(self, review_id: int) -> tuple[str, int, str | None, str | None] | None:
        """(status, attempts, last error, note) of a review's release, or None before it is decided."""
        c = tables.releases.c
        with self._engine.connect() as conn:
            row = conn.execute(select(c.status, c.attempts, c.last_error, c.note)
                               .where(c.review_id == review_id)).first()
        return None if row is None else (row.status, int(row.attempts), row.last_error, row.note)
