"""Sanctions screening at the bridge (issue 16): a mint's destination and a redemption's
sender go through the `AddressScreening` port. A listed destination is refused with
nothing held or minted; a listed sender's redemption stays unmatched (`screening_hit`),
its tokens at the redemption address and still backed; a `review` is held the same way,
then redeemed once two officers clear it, or kept when they confirm it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from digisom.api.screening_wiring import REDEMPTION_SENDER_CONTEXT, BridgeReleases, build_desk, decision_reason
from digisom.api.stablecoin_wiring import BridgeAddressScreener
from digisom.chain.contracts import Artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.compliance.decisions import ReviewOutcome
from digisom.compliance.desk import ComplianceDesk, Recorded
from digisom.compliance.errors import FourEyesViolation
from digisom.compliance.model import Decision, ScreeningResult
from digisom.compliance.releases import FinalDecision, ReviewSubscriber
from digisom.kernel.screening import ScreeningDecision
from digisom.stablecoin.errors import AddressSanctioned, AddressUnderReview
from digisom.stablecoin.model import State
from digisom.stablecoin.ports import AddressPurpose, AddressVerdict
from tests.stablecoin.test_bridge import assert_balanced
from tests.stablecoin.world import OPENING_TYIYN, World


class ByAddress:
    """Decides by address; remembers what it was asked."""

    def __init__(self, decisions: dict[str, ScreeningDecision]) -> None:
        self.decisions = {a.lower(): d for a, d in decisions.items()}
        self.asked: list[tuple[str, AddressPurpose]] = []

    def screen_address(self, address: str, purpose: AddressPurpose) -> AddressVerdict:
        self.asked.append((address, purpose))
        return AddressVerdict(self.decisions.get(address.lower(), ScreeningDecision.CLEAR), "rule=test score=1000")


def _screened(world: World, decisions: dict[str, ScreeningDecision]) -> ByAddress:
    world.screening = ByAddress({world.address(role): d for role, d in decisions.items()})
    world.restart()
    assert isinstance(world.screening, ByAddress)
    return world.screening


def test_a_listed_or_reviewed_mint_destination_is_refused_before_anything_moves(world: World) -> None:
    screening = _screened(world, {"merchant": ScreeningDecision.HIT, "commercial_bank": ScreeningDecision.REVIEW})
    with pytest.raises(AddressSanctioned):
        world.bridge.request_mint("m-listed", "pensioner", world.address("merchant"), 100_00)
    with pytest.raises(AddressUnderReview):
        world.bridge.request_mint("m-review", "pensioner", world.address("commercial_bank"), 100_00)
    assert world.bridge.operations() == []  # no operation, so no hold and no transaction
    assert world.gateway.total_supply() == 0 and world.balance_tyiyn("pensioner") == OPENING_TYIYN
    ok = world.bridge.request_mint("m-clear", "pensioner", world.address("pensioner"), 100_00)
    assert ok.state is State.POSTED
    assert world.bridge.request_mint("m-clear", "pensioner", world.address("pensioner"), 100_00).id == ok.id
    assert [p for _a, p in screening.asked].count(AddressPurpose.MINT_DESTINATION) == 3  # the retry: not again
    assert_balanced(world)


def test_a_listed_or_reviewed_sender_leaves_its_redemption_unmatched_and_backed(world: World) -> None:
    _screened(world, {"merchant": ScreeningDecision.HIT, "commercial_bank": ScreeningDecision.REVIEW})
    world.bridge.request_mint("m1", "pensioner", world.address("pensioner"), 300_00)
    for role in ("pensioner", "merchant", "commercial_bank"):
        world.bridge.link_address(role, world.address(role))
    world.send_tokens("pensioner", world.address("merchant"), 100_00)
    world.send_tokens("pensioner", world.address("commercial_bank"), 50_00)
    redemption = world.gateway.redemption_address
    world.send_tokens("merchant", redemption, 100_00)
    world.send_tokens("commercial_bank", redemption, 50_00)
    world.send_tokens("pensioner", redemption, 20_00)
    world.bridge.process()
    by_sender = {o.address: o for o in world.bridge.operations() if o.kind.value == "redeem"}
    listed, reviewed, clear = (by_sender[world.address(r)] for r in ("merchant", "commercial_bank", "pensioner"))
    assert listed.state is State.UNMATCHED and (listed.failure or "").startswith("screening_hit: rule=test")
    assert reviewed.state is State.UNMATCHED and (reviewed.failure or "").startswith("screening_review:")
    assert clear.state is State.POSTED
    assert world.balance_tyiyn("merchant") == world.balance_tyiyn("commercial_bank") == OPENING_TYIYN
    assert world.gateway.balance_of(redemption) == 150_00  # not burned, still backed by the reserve
    assert_balanced(world)


def test_the_desk_records_the_bridge_screening(world: World, tmp_path: Path) -> None:
    listed = world.address("merchant")
    path = tmp_path / "synthetic.ftm.json"
    path.write_text(json.dumps({"id": "synthetic-wallet", "schema": "CryptoWallet",
                                "properties": {"publicKey": [listed.lower()]}}) + "\n", encoding="utf-8")
    world.screening = BridgeAddressScreener(build_desk(world.engine, [path]), senders_screened_upstream=False)
    world.restart()
    with pytest.raises(AddressSanctioned) as refused:
        world.bridge.request_mint("m-listed", "pensioner", listed, 10_00)
    assert "address-exact" in refused.value.detail and "synthetic-wallet" in refused.value.detail
    world.bridge.request_mint("m-clear", "pensioner", world.address("pensioner"), 10_00)
    with world.engine.connect() as conn:
        rows = conn.execute(text("SELECT context, decision FROM compliance_screenings ORDER BY screening_id")).all()
    assert [tuple(r) for r in rows] == [("kgst_mint_destination", "hit"), ("kgst_mint_destination", "clear")]


class ReviewsSenders:
    """The desk's record of a `review` for the given senders (what one-hop exposure would
    give), `clear` for others; the reason as the API's screener writes it."""

    def __init__(self, desk: ComplianceDesk, reviewed: set[str]) -> None:
        self.desk = desk
        self.reviewed = {a.lower() for a in reviewed}

    def screen_address(self, address: str, purpose: AddressPurpose) -> AddressVerdict:
        decision = Decision.REVIEW if address.lower() in self.reviewed else Decision.CLEAR
        score_milli = 900 if decision is Decision.REVIEW else 0
        found = ScreeningResult(decision, "address-one-hop", score_milli, (), ("ab" * 32,))
        screening_id = self.desk.decisions.record(found, subject=address, subject_kind="address",
                                                  subject_schema="Address", context=f"kgst_{purpose.value}",
                                                  requested_by="system:kgst-bridge")
        return AddressVerdict(ScreeningDecision(decision.value), decision_reason(Recorded(screening_id, found)))


class FailsOnce:
    """Wraps a subscriber: the first call fails as a crash would, before acting."""

    def __init__(self, inner: ReviewSubscriber) -> None:
        self.inner = inner
        self.failed = False

    def __call__(self, decision: FinalDecision) -> str:
        if not self.failed:
            self.failed = True
            raise TimeoutError("the bridge's database timed out")
        return self.inner(decision)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store_world(request: pytest.FixtureRequest, tmp_path: Path, artifact: Artifact) -> Iterator[World]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    built = World(tmp_path, EmbeddedChain(56), artifact, url=url)
    try:
        yield built
    finally:
        built.close()


def test_a_redemption_stopped_for_review_is_redeemed_when_cleared_and_kept_when_confirmed(
    any_store_world: World,
) -> None:
    world = any_store_world
    desk = build_desk(world.engine, [])
    world.screening = ReviewsSenders(desk, {world.address("commercial_bank"), world.address("merchant")})
    world.restart()
    world.bridge.request_mint("m1", "pensioner", world.address("pensioner"), 300_00)
    for role in ("merchant", "commercial_bank"):
        world.bridge.link_address(role, world.address(role))
        world.send_tokens("pensioner", world.address(role), 50_00)
    redemption = world.gateway.redemption_address
    world.send_tokens("commercial_bank", redemption, 50_00)
    world.send_tokens("merchant", redemption, 30_00)
    world.bridge.process()
    by_sender = {o.address: o for o in world.bridge.operations() if o.kind.value == "redeem"}
    cleared_op, confirmed_op = by_sender[world.address("commercial_bank")], by_sender[world.address("merchant")]
    assert cleared_op.state is confirmed_op.state is State.UNMATCHED
    reviews = {r.subject.lower(): r.review_id for r in desk.decisions.open_reviews()}
    cleared_review, confirmed_review = (reviews[world.address(r).lower()] for r in ("commercial_bank", "merchant"))

    subscriber = FailsOnce(BridgeReleases([world.bridge]))
    desk.releases.subscribe(REDEMPTION_SENDER_CONTEXT, subscriber)
    desk.decisions.propose(cleared_review, "officer-a", ReviewOutcome.CLEARED, "the exposure was a refund")
    desk.releases.run()
    assert world.bridge.operation(cleared_op.id).state is State.UNMATCHED  # one officer releases nothing
    with pytest.raises(FourEyesViolation):
        desk.decisions.approve(cleared_review, "officer-a", ReviewOutcome.CLEARED, "mine")
    desk.decisions.approve(cleared_review, "officer-b", ReviewOutcome.CLEARED, "agreed")
    desk.decisions.propose(confirmed_review, "officer-b", ReviewOutcome.CONFIRMED, "received from a listed address")
    desk.decisions.approve(confirmed_review, "officer-a", ReviewOutcome.CONFIRMED, "agreed")
    first = desk.releases.run()  # the first attempt (the cleared review's) fails and stays pending
    assert (first.done, first.failed, desk.releases.pending()) == (1, 1, [cleared_review])
    assert world.bridge.operation(cleared_op.id).state is State.UNMATCHED
    assert desk.releases.run().done == 1 and desk.releases.pending() == []

    world.bridge.process()
    assert world.bridge.operation(cleared_op.id).state is State.POSTED
    assert world.balance_tyiyn("commercial_bank") + world.deposit_tyiyn("commercial_bank") == OPENING_TYIYN + 50_00
    kept = world.bridge.operation(confirmed_op.id)
    assert kept.state is State.UNMATCHED
    assert (kept.failure or "").startswith(f"screening_confirmed: compliance review {confirmed_review} confirmed")
    assert world.balance_tyiyn("merchant") == OPENING_TYIYN
    assert world.gateway.balance_of(redemption) == 30_00  # not burned, still backed by the reserve
    assert_balanced(world)
    # A retry of either decision finds nothing under review: nothing moves twice.
    for review_id in (cleared_review, confirmed_review):
        review = desk.decisions.review(review_id)
        again = FinalDecision(review_id, review.screening_id, review.context, ReviewOutcome(review.status),
                              review.proposed_by or "", review.decided_by or "", review.reason or "", review.rule,
                              review.score_milli, review.list_versions)
        assert subscriber(again) == "no redemption left under this review"
    world.bridge.process()
    assert world.balance_tyiyn("commercial_bank") + world.deposit_tyiyn("commercial_bank") == OPENING_TYIYN + 50_00
    assert_balanced(world)
