"""Every screening is kept; every review is decided by two officers (a proposal, then an
approval or a rejection by another), once, each step kept; checked twice (code and CHECKs)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from digisom.api.runtime import domain_engine
from digisom.compliance import tables
from digisom.compliance.decisions import Decisions, ReviewOutcome
from digisom.compliance.errors import FourEyesViolation, ProposalMismatch, ReviewAlreadyDecided, ReviewNotFound
from digisom.compliance.migrations import migrate
from digisom.compliance.model import Decision, Match, ScreeningResult

SYSTEM = "system:remittance"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'compliance.db'}"
    engine = domain_engine(url)
    migrate(engine)
    yield engine
    engine.dispose()


def result(decision: Decision, score_milli: int) -> ScreeningResult:
    match = Match("kg-person-1", "Жээнбеков Сооронбай", score_milli, "ab" * 32, "Sooronbai Jeenbekov")
    return ScreeningResult(decision, "name-similarity", score_milli, (match,), ("ab" * 32,))


def record(decisions: Decisions, decision: Decision, score_milli: int, requested_by: str = "first-officer") -> int:
    return decisions.record(result(decision, score_milli), subject="Sooronbai Zheenbekov", subject_kind="name",
                            subject_schema="Person", context="remittance", requested_by=requested_by)


def test_a_review_opens_with_the_screening_and_two_officers_decide(engine: Engine) -> None:
    decisions = Decisions(engine, clock=lambda: datetime(2026, 12, 7, tzinfo=UTC))
    record(decisions, Decision.CLEAR, 0)
    screening_id = record(decisions, Decision.REVIEW, 850)
    [review] = decisions.open_reviews()
    assert (review.screening_id, review.opened_by, review.score_milli) == (screening_id, "first-officer", 850)
    proposed = decisions.propose(review.review_id, "first-officer", ReviewOutcome.CLEARED, "born 1990, not 1958")
    assert (proposed.status, proposed.proposed_by, proposed.decided_by) == ("proposed", "first-officer", None)
    assert decisions.open_reviews() == [proposed]  # still in the queue, awaiting the second officer
    with pytest.raises(FourEyesViolation):
        decisions.approve(review.review_id, "first-officer", ReviewOutcome.CLEARED, "mine")
    with pytest.raises(ProposalMismatch):
        decisions.approve(review.review_id, "second-officer", ReviewOutcome.CONFIRMED, "I think it is him")
    decided = decisions.approve(review.review_id, "second-officer", ReviewOutcome.CLEARED, "agreed: passport")
    assert (decided.status, decided.proposed_by, decided.decided_by, decided.reason) == \
        ("cleared", "first-officer", "second-officer", "born 1990, not 1958")
    assert decisions.open_reviews() == []
    with pytest.raises(ReviewAlreadyDecided):
        decisions.approve(review.review_id, "third-officer", ReviewOutcome.CLEARED, "late")
    with pytest.raises(ReviewAlreadyDecided):
        decisions.propose(review.review_id, "third-officer", ReviewOutcome.CONFIRMED, "changed my mind")
    assert [(s.action, s.officer, s.outcome, s.reason) for s in decisions.steps(review.review_id)] == [
        ("proposed", "first-officer", "cleared", "born 1990, not 1958"),
        ("approved", "second-officer", "cleared", "agreed: passport"),
    ]
    with engine.connect() as conn:
        release = conn.execute(select(tables.releases)).one()
    assert (release.review_id, release.context, release.outcome, release.status) == \
        (review.review_id, "remittance", "cleared", "pending")


def test_a_system_opened_review_needs_two_officers_too(engine: Engine) -> None:
    """The old rule let one officer decide what the system opened."""
    decisions = Decisions(engine)
    record(decisions, Decision.REVIEW, 850, requested_by=SYSTEM)
    [review] = decisions.open_reviews()
    decisions.propose(review.review_id, "officer-a", ReviewOutcome.CONFIRMED, "same birth date")
    assert decisions.review(review.review_id).status == "proposed"  # one officer decides nothing
    with pytest.raises(FourEyesViolation):
        decisions.approve(review.review_id, "officer-a", ReviewOutcome.CONFIRMED, "still me")
    rejected = decisions.reject(review.review_id, "officer-b", "the birth date is another person's")
    assert (rejected.status, rejected.proposed_by, rejected.reason) == ("open", None, None)
    decisions.propose(review.review_id, "officer-b", ReviewOutcome.CLEARED, "other birth date")
    with pytest.raises(FourEyesViolation):
        decisions.reject(review.review_id, "officer-b", "my own")
    assert decisions.approve(review.review_id, "officer-a", ReviewOutcome.CLEARED, "agreed").status == "cleared"
    assert [s.action for s in decisions.steps(review.review_id)] == ["proposed", "rejected", "proposed", "approved"]


def test_the_opener_may_propose_but_never_approve(engine: Engine) -> None:
    decisions = Decisions(engine)
    screening_id = record(decisions, Decision.HIT, 1000)
    review_id = decisions.open_review(screening_id, "branch-officer")
    decisions.propose(review_id, "head-of-compliance", ReviewOutcome.CONFIRMED, "same passport")
    with pytest.raises(FourEyesViolation):
        decisions.approve(review_id, "branch-officer", ReviewOutcome.CONFIRMED, "I opened it")
    assert decisions.approve(review_id, "deputy", ReviewOutcome.CONFIRMED, "same passport").status == "confirmed"


def test_a_hit_is_kept_and_can_be_disputed(engine: Engine) -> None:
    decisions = Decisions(engine)
    screening_id = record(decisions, Decision.HIT, 1000)
    assert decisions.open_reviews() == []
    decisions.open_review(screening_id, "branch-officer")
    with pytest.raises(ReviewAlreadyDecided):
        decisions.open_review(screening_id, "branch-officer")
    with pytest.raises(ReviewNotFound):
        decisions.open_review(999, "branch-officer")
    with pytest.raises(ReviewNotFound):
        decisions.propose(999, "branch-officer", ReviewOutcome.CLEARED, "none")


def test_of_two_concurrent_approvals_one_wins(engine: Engine) -> None:
    decisions = Decisions(engine)
    record(decisions, Decision.REVIEW, 850, requested_by=SYSTEM)
    [review] = decisions.open_reviews()
    decisions.propose(review.review_id, "officer-a", ReviewOutcome.CLEARED, "other person")
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(officer: str) -> None:
        start.wait()
        try:
            decisions.approve(review.review_id, officer, ReviewOutcome.CLEARED, "agreed")
            outcomes.append("won")
        except ReviewAlreadyDecided:
            outcomes.append("told")

    threads = [threading.Thread(target=approve, args=(o,)) for o in ("officer-b", "officer-c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["told", "won"]
    assert [s.action for s in decisions.steps(review.review_id)] == ["proposed", "approved"]
    with engine.connect() as conn:
        assert len(conn.execute(select(tables.releases)).all()) == 1


def test_the_database_refuses_what_four_eyes_forbids(engine: Engine) -> None:
    """The second check: a writer that skipped `Decisions` still cannot decide alone."""
    decisions = Decisions(engine)
    record(decisions, Decision.REVIEW, 850, requested_by=SYSTEM)
    now = "2026-12-07T00:00:00.000000Z"
    r = tables.reviews
    alone = {"status": "cleared", "proposed_by": "officer-a", "proposed_outcome": "cleared", "proposed_at": now,
             "reason": "mine", "decided_by": "officer-a", "decided_at": now}
    refused = [
        {"status": "cleared", "decided_by": "officer-a", "decided_at": now, "reason": "one officer, no proposal"},
        alone,  # proposed and approved by one officer
        alone | {"decided_by": SYSTEM, "proposed_by": "officer-a"},  # approved by the opener
        alone | {"decided_by": "officer-b", "status": "confirmed"},  # approved other than proposed
        {"status": "cleared"},  # decided by nobody
        {"status": "proposed", "proposed_by": "officer-a", "proposed_at": now, "reason": "no outcome"},
    ]
    for values in refused:
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(update(r).values(**values))
    with engine.begin() as conn:
        conn.execute(update(r).values(**(alone | {"decided_by": "officer-b"})))  # the lawful shape passes
