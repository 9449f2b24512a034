"""Wiring of rail 2 (`digisom.remittance.onchain`) to the KGST bridge: a `RedemptionFeed`
that screens every transfer to the redemption address before the bridge redeems it, over
the chain adapter's feed (whose watcher fills the one-hop window), and the link of an
address to a wallet kept by both domains (the bridge redeems by its own link; the
remittance domain screens and records by its). Rail 2 screens through the compliance
desk under `remittance_chain`; the process that runs it registers that context's review
subscriber and fills rail 2's routes (`serve`).

The EVM stack is imported only for types here: the API process imports this module.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from digisom.api.screening_wiring import REMITTANCE_CHAIN_CONTEXT, ChainInboundReleases, RemittanceScreener
from digisom.cbdc import credits
from digisom.cbdc.context import Context
from digisom.compliance.desk import ComplianceDesk
from digisom.kernel.clock import utc_now
from digisom.remittance import migrations as remittance_migrations
from digisom.remittance.http.slots import ChainInbound, NotRunning
from digisom.remittance.onchain import Inbound, InboundStatus, OnchainRail, TokenTransfer
from digisom.stablecoin.bridge import Bridge
from digisom.stablecoin.ports import IncomingTransfer, RedemptionFeed
from digisom.stablecoin.repository import token_key

if TYPE_CHECKING:
    from digisom.chain.follower import CursorStore
    from digisom.chain.kgst import KgstGateway, SeenTransfer


class ScreenedRedemptions:
    """`RedemptionFeed`: the chain's redemptions, each screened by rail 2 first; a cleared
    review is handed on at the next poll."""

    def __init__(self, inner: RedemptionFeed, rail: OnchainRail, token: str, redemption_address: str) -> None:
        self._inner = inner
        self._rail = rail
        self._token = token
        self._redemption_address = redemption_address

    def poll(self, on_transfer: Callable[[IncomingTransfer], None], on_rollback: Callable[[int], None]) -> None:
        """Hand on what officers cleared, then the chain's new transfers that screen clear."""
        for item in self._rail.releases(self._token):
            on_transfer(IncomingTransfer(item.tx_hash, item.log_index, item.block_number, item.sender,
                                         item.amount_token_units))
            self._rail.mark_released(item)

        def admit(transfer: IncomingTransfer) -> None:
            seen = TokenTransfer(transfer.tx_hash, transfer.log_index, transfer.block_number, transfer.sender,
                                 self._redemption_address)
            if self._rail.admit(self._token, seen, transfer.amount_token_units):
                on_transfer(transfer)

        def rollback(block_number: int) -> None:
            self._rail.forget_after(self._token, block_number)
            on_rollback(block_number)

        self._inner.poll(admit, rollback)


def screened_redemptions(gateway: KgstGateway, cursor: CursorStore, confirmations: int, start_block: int,
                         rail: OnchainRail) -> ScreenedRedemptions:
    """The bridge's feed for `gateway`'s token, screened by `rail`."""
    token = token_key(gateway.chain_id, gateway.address)

    def watch(seen: Sequence[SeenTransfer]) -> None:
        rail.observe(token, [TokenTransfer(s.tx_hash, s.log_index, s.block_number, s.source, s.to) for s in seen])

    inner = gateway.redemptions(cursor, confirmations, start_block, watch)
    return ScreenedRedemptions(inner, rail, token, gateway.redemption_address)


def link_inbound_address(bridge: Bridge, rail: OnchainRail, wallet_id: str, address: str) -> str:
    """Let `address` send remittances into `wallet_id` (both links; idempotent); returns the
    checksummed address."""
    checked = bridge.link_address(wallet_id, address)
    rail.link(checked, wallet_id)
    return checked


def onchain_rail(engine: Engine, desk: ComplianceDesk, clock: Callable[[], datetime] = utc_now) -> OnchainRail:
    """Rail 2 on `engine`'s database (its tables migrated), screening each sender through
    `desk` under `remittance_chain` (a `review` opens a review there)."""
    remittance_migrations.migrate(engine)
    return OnchainRail(engine, RemittanceScreener(desk, REMITTANCE_CHAIN_CONTEXT), clock=clock)


def subscribe(desk: ComplianceDesk, rail: OnchainRail, token: str) -> None:
    """Register rail 2's review subscriber (a process that runs rail 2 for `token`)."""
    desk.releases.subscribe(REMITTANCE_CHAIN_CONTEXT, ChainInboundReleases([(rail, token)]))


@dataclass(frozen=True)
class Rail2:
    """`ChainInbound` (rail 2's routes) over the bridge and the rail of one token."""

    ctx: Context
    bridge: Bridge
    rail: OnchainRail
    token: str

    def wallet_bank(self, wallet_id: str) -> str | None:
        return self.wallet_banks([wallet_id]).get(wallet_id)

    def wallet_banks(self, wallet_ids: Collection[str]) -> dict[str, str]:
        return {w: wallet.bank_code for w, wallet in credits.load_many(self.ctx, list(wallet_ids)).items()}

    def link(self, wallet_id: str, address: str) -> str:
        return link_inbound_address(self.bridge, self.rail, wallet_id, address)

    def inbounds(self, status: InboundStatus | None, after_position: int | None, limit: int) -> list[Inbound]:
        return self.rail.inbounds(self.token, status, after_position=after_position, limit=limit)


class ServedRail2:
    """`ChainInbound` of the served process: the routes' slot is filled when the app is
    built, rail 2 a moment later by the merchant rail (`runs`), before the first request;
    until then it answers as a process that runs none."""

    def __init__(self) -> None:
        self._running: ChainInbound = NotRunning()

    def runs(self, rail2: Rail2) -> None:
        """Rail 2 is built: serve it."""
        self._running = rail2

    def wallet_bank(self, wallet_id: str) -> str | None:
        return self._running.wallet_bank(wallet_id)

    def wallet_banks(self, wallet_ids: Collection[str]) -> dict[str, str]:
        return self._running.wallet_banks(wallet_ids)

    def link(self, wallet_id: str, address: str) -> str:
        return self._running.link(wallet_id, address)

    def inbounds(self, status: InboundStatus | None, after_position: int | None, limit: int) -> list[Inbound]:
        return self._running.inbounds(status, after_position, limit)
