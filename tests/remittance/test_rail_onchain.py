"""Rail 2 on the in-process EVM: KGST sent to the redemption address by an address linked
to the mother's wallet is screened (exact listed address, one-hop exposure, through the
compliance domain's screener behind the `Screener` port) and redeemed by the bridge's own
redemption path; a listed sender's tokens stay at the redemption address, recorded; an
exposed sender's wait for an officer."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from digisom.api.remittance_chain_wiring import link_inbound_address, onchain_rail, screened_redemptions
from digisom.api.screening_wiring import (
    REMITTANCE_CHAIN_CONTEXT,
    ChainInboundReleases,
    build_desk,
    screening_ids,
)
from digisom.api.stablecoin_wiring import BridgeAddressScreener
from digisom.chain.contracts import Artifact, kgst_artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.compliance.decisions import ReviewOutcome
from digisom.compliance.desk import ComplianceDesk
from digisom.compliance.releases import FinalDecision
from digisom.remittance.errors import AddressLinked, NotPendingReview
from digisom.remittance.onchain import InboundStatus, OnchainRail
from digisom.remittance.ports import Decision
from digisom.stablecoin.bridge import Bridge
from digisom.stablecoin.errors import AddressSanctioned
from digisom.stablecoin.model import State
from digisom.stablecoin.repository import CursorRepository
from tests.stablecoin.world import OPENING_TYIYN, World

MOTHER = "pensioner"  # the recipient's wallet
MIGRANT = "merchant"  # a clean sender abroad
LISTED = "commercial_bank"  # its address is on the (synthetic) list
EXPOSED = "owner"  # received from the listed address


@pytest.fixture(scope="module")
def artifact() -> Artifact:
    return kgst_artifact()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path, artifact: Artifact) -> Iterator[World]:
    """Rail 2 on both stores: the bridge's and the rail's tables, and the ledger."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    built = World(tmp_path, EmbeddedChain(56), artifact, url=url)
    try:
        yield built
    finally:
        built.close()


def _desk(world: World, tmp_path: Path) -> ComplianceDesk:
    entity = {"id": "synthetic-a7a5-wallet", "schema": "CryptoWallet",
              "properties": {"publicKey": [world.address(LISTED).lower()], "currency": ["A7A5"]}}
    path = tmp_path / "synthetic.ftm.json"
    path.write_text(json.dumps(entity) + "\n", encoding="utf-8")
    return build_desk(world.engine, [path])


def _rail(world: World, tmp_path: Path) -> OnchainRail:
    """Rail 2 as serve and the demo build it (`remittance_chain` screenings)."""
    return onchain_rail(world.engine, _desk(world, tmp_path))


def _bridge(world: World, rail: OnchainRail, tmp_path: Path) -> Bridge:
    """The bridge as the composition root wires it behind rail 2: mints screened by the
    desk, redemption senders screened by the rail only."""
    feed = screened_redemptions(world.gateway, CursorRepository(world.engine, world.token_key), world.confirmations,
                                world.deployment.block_number, rail)
    screening = BridgeAddressScreener(_desk(world, tmp_path), senders_screened_upstream=True)
    return Bridge(world.engine, world.ledger, world.gateway, world.wallets, feed, world.confirmations,
                  screening=screening)


def _screenings(world: World, address: str) -> list[str]:
    """The contexts `address` was screened under, as the compliance desk recorded them."""
    with world.engine.connect() as conn:
        rows = conn.execute(text("SELECT context FROM compliance_screenings WHERE lower(subject) = :a"),
                            {"a": address.lower()})
        return sorted(row.context for row in rows)


def _balanced(world: World, bridge: Bridge) -> None:
    report = bridge.reserve_report()
    assert report.balanced and report.supply_tyiyn == report.reserve_tyiyn


def test_clear_redeems_listed_stops_exposed_waits(world: World, tmp_path: Path) -> None:
    rail = _rail(world, tmp_path)
    bridge = _bridge(world, rail, tmp_path)
    redemption = world.gateway.redemption_address
    # The bridge mints to no listed address; the listed party gets its tokens on-chain.
    with pytest.raises(AddressSanctioned):
        bridge.request_mint("m-listed", LISTED, world.address(LISTED), 300_00)
    assert bridge.request_mint("m-migrant", MIGRANT, world.address(MIGRANT), 800_00).state is State.POSTED
    world.send_tokens(MIGRANT, world.address(LISTED), 300_00)
    for role in (MIGRANT, LISTED, EXPOSED):
        link_inbound_address(bridge, rail, MOTHER, world.address(role))

    world.send_tokens(MIGRANT, redemption, 150_00)  # clear: redeemed into the mother's wallet
    world.send_tokens(LISTED, redemption, 50_00)  # listed: stopped
    world.send_tokens(LISTED, world.address(EXPOSED), 20_00)
    world.send_tokens(EXPOSED, redemption, 20_00)  # one hop from the listed address: held
    bridge.process()

    assert world.balance_tyiyn(MOTHER) == OPENING_TYIYN + 150_00
    by_sender = {i.sender: i for i in rail.inbounds(world.token_key)}
    passed, stopped, held = (by_sender[world.address(r)] for r in (MIGRANT, LISTED, EXPOSED))
    assert (passed.status, passed.decision, passed.wallet_id) == (InboundStatus.PASSED, Decision.CLEAR, MOTHER)
    assert (stopped.status, stopped.decision, stopped.amount_token_units) == (InboundStatus.STOPPED, Decision.HIT,
                                                                             50_00)
    assert "synthetic-a7a5-wallet" in stopped.reason and "address-exact" in stopped.reason
    assert (held.status, held.decision) == (InboundStatus.HELD, Decision.REVIEW)
    assert "address-one-hop" in held.reason
    # Each sender screened once, by the rail: the bridge behind it does not screen again.
    assert _screenings(world, world.address(LISTED)) == ["kgst_mint_destination", "remittance_chain"]
    assert _screenings(world, world.address(EXPOSED)) == ["remittance_chain"]
    assert _screenings(world, world.address(MIGRANT)) == ["kgst_mint_destination", "remittance_chain"]
    # The stopped and held tokens are at the redemption address, not burned, still backed.
    assert world.gateway.balance_of(redemption) == 70_00
    redeemed = [o for o in bridge.operations() if o.kind.value == "redeem"]
    assert [o.address for o in redeemed] == [world.address(MIGRANT)]
    _balanced(world, bridge)

    with pytest.raises(NotPendingReview):
        rail.decide(world.token_key, stopped.inbound_id, True, "officer-1")
    rail.decide(world.token_key, held.inbound_id, True, "officer-1")
    bridge.process()
    assert world.balance_tyiyn(MOTHER) == OPENING_TYIYN + 170_00
    assert rail.inbound(world.token_key, held.tx_hash, held.log_index).status is InboundStatus.RELEASED  # type: ignore[union-attr]
    _balanced(world, bridge)

    # A restart replays nothing twice: the cursor, the bridge and the rail are idempotent.
    again = _bridge(world, rail, tmp_path)
    again.process()
    assert world.balance_tyiyn(MOTHER) == OPENING_TYIYN + 170_00
    assert world.gateway.balance_of(redemption) == 50_00
    _balanced(world, again)


def test_a_blocked_review_is_never_redeemed(world: World, tmp_path: Path) -> None:
    rail = _rail(world, tmp_path)
    bridge = _bridge(world, rail, tmp_path)
    bridge.request_mint("m", MIGRANT, world.address(MIGRANT), 30_00)
    world.send_tokens(MIGRANT, world.address(LISTED), 30_00)
    link_inbound_address(bridge, rail, MOTHER, world.address(EXPOSED))
    world.send_tokens(LISTED, world.address(EXPOSED), 30_00)
    world.send_tokens(EXPOSED, world.gateway.redemption_address, 30_00)
    bridge.process()
    (held,) = rail.inbounds(world.token_key, InboundStatus.HELD)
    # Two officers confirm its review: the release (as the rail's process subscribes it) blocks it, once.
    screening_id = screening_ids(held.reason)
    assert screening_id is not None
    confirmed = FinalDecision(1, screening_id, REMITTANCE_CHAIN_CONTEXT, ReviewOutcome.CONFIRMED, "officer-1",
                              "officer-2", "listed owner", "address-one-hop", 1000, "")
    releases = ChainInboundReleases([(rail, world.token_key)])
    assert releases(confirmed) == f"{held.inbound_id}: blocked"
    assert releases(confirmed) == "no inbound transfer held on this screening"  # a retry does nothing more
    blocked = rail.inbound(world.token_key, held.tx_hash, held.log_index)
    assert blocked is not None and (blocked.status, blocked.officer) == (InboundStatus.BLOCKED, "officer-2")
    bridge.process()
    assert world.balance_tyiyn(MOTHER) == OPENING_TYIYN
    assert world.gateway.balance_of(world.gateway.redemption_address) == 30_00


def test_links_and_the_table_check_the_flow(world: World, tmp_path: Path) -> None:
    rail = _rail(world, tmp_path)
    rail.link(world.address(MIGRANT), MOTHER)
    rail.link(world.address(MIGRANT).lower(), MOTHER)  # the same address in another case: idempotent
    with pytest.raises(AddressLinked):
        rail.link(world.address(MIGRANT), "merchant")
    # The independent check: the table refuses a hit handed to the redemption path.
    with pytest.raises(IntegrityError), world.engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO remittance_chain_inbound VALUES ('t', '0x1', 0, 1, 's', 'w', '1', 'hit', '', 'passed', '',"
            " 'x', 'x')"))
