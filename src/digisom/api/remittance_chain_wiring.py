"""Wiring of rail 2 (`digisom.remittance.onchain`) to the KGST bridge: a `RedemptionFeed`
that screens every transfer to the redemption address before the bridge redeems it, over
the chain adapter's feed (whose watcher fills the one-hop window), and the link of an
address to a wallet kept by both domains (the bridge redeems by its own link; the
remittance domain screens and records by its). Also the compliance domain's screener
behind the remittance domain's `Screener` port.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from digisom.chain.follower import CursorStore
from digisom.chain.kgst import KgstGateway, SeenTransfer
from digisom.remittance.onchain import OnchainRail, TokenTransfer
from digisom.stablecoin.bridge import Bridge
from digisom.stablecoin.ports import IncomingTransfer, RedemptionFeed
from digisom.stablecoin.repository import token_key


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
