"""Every screening is kept; a review is decided once, by a second officer (checked twice)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError

from digisom.api.runtime import domain_engine
from digisom.compliance import tables
from digisom.compliance.decisions import Decisions, ReviewOutcome
from digisom.compliance.errors import FourEyesViolation, ReviewAlreadyDecided, ReviewNotFound
from digisom.compliance.migrations import migrate
from digisom.compliance.model import Decision, Match, ScreeningResult


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = domain_engine(f"sqlite:///{tmp_path / 'compliance.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


def result(decision: Decision, score_milli: int) -> ScreeningResult:
    match = Match("kg-person-1", "Жээнбеков Сооронбай", score_milli, "ab" * 32, "Sooronbai Jeenbekov")
    return ScreeningResult(decision, "name-similarity", score_milli, (match,), ("ab" * 32,))


def record(decisions: Decisions, decision: Decision, score_milli: int) -> int:
    return decisions.record(result(decision, score_milli), subject="Sooronbai Zheenbekov", subject_kind="name",
                            subject_schema="Person", context="remittance-sender", requested_by="first-officer")


def test_a_review_opens_with_the_screening_and_a_second_officer_decides(engine: Engine) -> None:
    decisions = Decisions(engine, clock=lambda: datetime(2026, 12, 7, tzinfo=UTC))
    record(decisions, Decision.CLEAR, 0)
    screening_id = record(decisions, Decision.REVIEW, 850)
    [review] = decisions.open_reviews()
    assert (review.screening_id, review.opened_by, review.score_milli) == (screening_id, "first-officer", 850)
    with pytest.raises(FourEyesViolation):
        decisions.decide(review.review_id, "first-officer", ReviewOutcome.CLEARED, "another person")
    decided = decisions.decide(review.review_id, "second-officer", ReviewOutcome.CLEARED, "born 1990, not 1958")
    assert (decided.status, decided.decided_by, decided.reason) == ("cleared", "second-officer", "born 1990, not 1958")
    assert decisions.open_reviews() == []
    with pytest.raises(ReviewAlreadyDecided):
        decisions.decide(review.review_id, "third-officer", ReviewOutcome.CONFIRMED, "changed my mind")


def test_a_hit_is_kept_and_can_be_disputed(engine: Engine) -> None:
    decisions = Decisions(engine)
    screening_id = record(decisions, Decision.HIT, 1000)
    assert decisions.open_reviews() == []
    review_id = decisions.open_review(screening_id, "branch-officer")
    with pytest.raises(ReviewAlreadyDecided):
        decisions.open_review(screening_id, "branch-officer")
    assert decisions.decide(review_id, "head-of-compliance", ReviewOutcome.CONFIRMED, "same passport").status == \
        "confirmed"
    with pytest.raises(ReviewNotFound):
        decisions.open_review(999, "branch-officer")


def test_the_database_refuses_a_decision_by_the_opener(engine: Engine) -> None:
    """The second check of four eyes: a writer that skipped `decide` still cannot."""
    decisions = Decisions(engine)
    record(decisions, Decision.REVIEW, 850)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(update(tables.reviews).values(status="cleared", decided_by="first-officer",
                                                   decided_at="2026-12-07T00:00:00.000000Z", reason="mine"))
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(update(tables.reviews).values(status="cleared"))  # decided by nobody
