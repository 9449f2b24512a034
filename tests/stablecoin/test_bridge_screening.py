"""Sanctions screening at the bridge (issue 16): a mint's destination and a redemption's
sender go through the `AddressScreening` port. A listed destination is refused with
nothing held or minted; a listed sender's redemption stays unmatched (`screening_hit`),
its tokens at the redemption address and still backed; a `review` is held the same way."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from digisom.api.screening_wiring import build_desk
from digisom.api.stablecoin_wiring import BridgeAddressScreener
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
