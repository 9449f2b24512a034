"""What a finally decided review releases (issue 16), through `compliance.releases`: the
approval writes its release in the same transaction; a subscriber per screening context
acts on it; a failed or interrupted release stays pending and a later run (or a restart)
finishes it, once. Here: the outbox itself (SQLite and PostgreSQL) and the wallet opened
frozen on a review (unfrozen when cleared, kept frozen with the reason when confirmed).
The remittance releases are in tests/remittance/test_api.py, the KGST bridge's in
tests/stablecoin/test_bridge_screening.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from digisom.api.runtime import build, domain_engine
from digisom.compliance.decisions import Decisions, ReviewOutcome
from digisom.compliance.migrations import migrate
from digisom.compliance.model import Decision
from digisom.compliance.releases import FinalDecision, Releases
from tests.api.world import World
from tests.compliance import four_eyes
from tests.compliance.test_decisions import SYSTEM, result


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else \
        f"sqlite:///{tmp_path / 'compliance.db'}"
    engine = domain_engine(url)
    migrate(engine)
    yield engine
    engine.dispose()


class Flaky:
    """A subscriber that fails its first `failures` calls, then acts (and counts what it saw)."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.seen: list[FinalDecision] = []

    def __call__(self, decision: FinalDecision) -> str:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("the domain's database went away")
        self.seen.append(decision)
        return f"released {decision.review_id}"


def _decided(decisions: Decisions, context: str, outcome: ReviewOutcome) -> int:
    decisions.record(result(Decision.REVIEW, 850), subject="Sooronbek Jeenbekov", subject_kind="name",
                     subject_schema="Person", context=context, requested_by=SYSTEM)
    review_id = decisions.open_reviews()[-1].review_id
    decisions.propose(review_id, "officer-a", outcome, "other birth date")
    decisions.approve(review_id, "officer-b", outcome, "agreed")
    return review_id


def test_a_failed_release_stays_pending_and_a_later_run_finishes_it_once(engine: Engine) -> None:
    decisions = Decisions(engine)
    releases = Releases(engine, decisions)
    flaky = Flaky(failures=1)
    releases.subscribe("wallet_opening", flaky)
    with pytest.raises(ValueError, match="already"):
        releases.subscribe("wallet_opening", flaky)
    review_id = _decided(decisions, "wallet_opening", ReviewOutcome.CLEARED)
    elsewhere = _decided(decisions, "kgst_redemption_sender", ReviewOutcome.CONFIRMED)
    assert releases.pending() == [review_id, elsewhere]
    assert releases.run().failed == 1
    status, attempts, error, _note = releases.status(review_id) or ("", 0, None, None)
    assert (status, attempts) == ("pending", 1) and "went away" in (error or "")
    assert releases.run().done == 1
    assert releases.status(review_id) == ("done", 2, "ConnectionError: the domain's database went away",
                                          f"released {review_id}")
    assert releases.run().done == 0  # done once: a later run does not hand it over again
    (seen,) = flaky.seen
    assert (seen.outcome, seen.proposed_by, seen.approved_by, seen.context, seen.score_milli) == \
        (ReviewOutcome.CLEARED, "officer-a", "officer-b", "wallet_opening", 850)
    # No subscriber for the bridge's context in this process: it waits for the process that has one.
    assert releases.pending() == [elsewhere]


@pytest.fixture
def listed_world(tmp_path: Path, ftm_file: Path) -> Iterator[World]:
    runtime = build(data_dir=tmp_path / "data", sanctions_lists=[ftm_file])
    yield World.create(runtime).setup()
    runtime.close()


def _frozen_wallet(world: World, key: str) -> tuple[str, int]:
    body = {"holder_id": key, "holder_kind": "individual", "tier": 1,
            "identity": {"full_name": "Sooronbek Jeenbekov", "phone": "+996555000222", "pin": "4321"}}
    wallet = world.ok(world.post("commercial_bank", "/v1/wallets", body, key), 201)
    assert wallet["status"] == "frozen"
    reviews = world.ok(world.get("officer", "/v1/compliance/reviews"))["items"]
    return wallet["id"], reviews[-1]["review_id"]


def _holds(world: World, wallet_id: str) -> list[dict[str, Any]]:
    return list(world.ok(world.get("commercial_bank", f"/v1/wallets/{wallet_id}/holds"))["items"])


def _status(world: World, wallet_id: str) -> str:
    return str(world.ok(world.get("commercial_bank", f"/v1/wallets/{wallet_id}"))["status"])


def test_a_cleared_review_unfreezes_the_wallet_a_confirmed_one_keeps_it_frozen(listed_world: World) -> None:
    world = listed_world
    cleared_wallet, cleared_review = _frozen_wallet(world, "open-1")
    confirmed_wallet, confirmed_review = _frozen_wallet(world, "open-2")
    path = f"/v1/compliance/reviews/{cleared_review}"
    world.ok(world.post("officer", f"{path}/propose", {"outcome": "cleared", "reason": "born 1990"}))
    assert _status(world, cleared_wallet) == "frozen"  # one officer's proposal releases nothing
    assert world.post("officer", f"{path}/approve", {"outcome": "cleared", "reason": "x"}).status_code == 403
    decided = world.ok(world.post("second_officer", f"{path}/approve", {"outcome": "cleared", "reason": "agreed"}))
    assert decided["release"]["status"] == "done" and cleared_wallet in decided["release"]["note"]
    assert _status(world, cleared_wallet) == "active"
    unfreeze = _holds(world, cleared_wallet)[-1]
    assert (unfreeze["action"], unfreeze["actor"]) == ("unfreeze", "system:holder-screening")
    assert f"compliance review {cleared_review} cleared" in unfreeze["reason"]
    assert "officer-asel" in unfreeze["reason"] and "officer-bakyt" in unfreeze["reason"]
    funded = world.post("commercial_bank", f"/v1/wallets/{cleared_wallet}/deposit-credits",
                        {"amount_tyiyn": "100", "currency": "KGS"})
    assert funded.status_code == 200, funded.text

    four_eyes.decide(world, confirmed_review, "confirmed", "same birth date and patronymic")
    assert _status(world, confirmed_wallet) == "frozen"
    kept = _holds(world, confirmed_wallet)
    assert [h["action"] for h in kept] == ["freeze", "freeze"]
    assert kept[-1]["reason"].startswith("sanctions screening review confirmed: compliance review")
    assert "same birth date" in kept[-1]["reason"]


def test_a_crash_after_the_decision_loses_no_release(tmp_path: Path, ftm_file: Path) -> None:
    """The decision committed, the process died before the release: the restart releases it, once."""
    runtime = build(data_dir=tmp_path / "data", sanctions_lists=[ftm_file])
    world = World.create(runtime).setup()
    wallet_id, review_id = _frozen_wallet(world, "open-crash")
    world.ok(world.post("officer", f"/v1/compliance/reviews/{review_id}/propose",
                        {"outcome": "cleared", "reason": "born 1990"}))
    engine = domain_engine(runtime.db_url)
    Decisions(engine).approve(review_id, "officer-bakyt", ReviewOutcome.CLEARED, "agreed")  # no release run
    engine.dispose()
    assert _status(world, wallet_id) == "frozen"
    assert world.ok(world.get("officer", f"/v1/compliance/reviews/{review_id}"))["release"]["status"] == "pending"
    runtime.close()

    restarted = build(data_dir=tmp_path / "data", sanctions_lists=[ftm_file])
    try:
        again = World.create(restarted)
        assert _status(again, wallet_id) == "active"
        retried = again.ok(again.post("officer", "/v1/compliance/releases/run", None, "run-1"))
        assert retried == {"done": 0, "failed": 0, "pending": []}
        assert [h["action"] for h in _holds(again, wallet_id)] == ["freeze", "unfreeze"]
    finally:
        restarted.close()
