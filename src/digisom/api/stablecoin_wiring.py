"""Wiring of the KGST bridge to the digital som: the bridge's `WalletDirectory` over the
digital som's wallets (the bridge must not import another domain; this entry point adapts
one to the other). The demo and any process that runs a bridge use it.

A redemption credits a wallet like any other credit (`digisom.cbdc.credits`): a frozen,
closed or unknown wallet is refused by its stable reason, and the room under the holding
limit counts credits still pending (other redemptions' holds). The bridge decides and
places its hold holding the wallet's lock (`held`), which freezing takes too.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from digisom.cbdc import accounts, credits, repository
from digisom.cbdc.context import Context
from digisom.stablecoin.ports import WalletRef


class CbdcWallets:
    """The bridge's `WalletDirectory` over the digital som's wallets."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def wallet(self, wallet_id: str) -> WalletRef | None:
        """The wallet's ledger account, whether it may receive now (and why not), and its room."""
        with self._ctx.engine.connect() as conn:
            wallet = repository.get_wallet(conn, wallet_id)
        if wallet is None:
            return None
        account_id = accounts.wallet_account_id(wallet.id)
        refused = credits.refusal(wallet)
        room = None
        if self._ctx.policy.tier(wallet.tier).balance_limit_tyiyn is not None:
            account = self._ctx.ledger.account(account_id)
            held_tyiyn = account.credits_posted + account.credits_pending - account.debits_posted
            room = credits.room_tyiyn(self._ctx, wallet, held_tyiyn)
        return WalletRef(wallet.id, account_id, refused is None, room, refused.value if refused else "")

    def held(self, wallet_id: str) -> AbstractContextManager[None]:
        """The wallet's lock, for deciding on and placing a hold on it."""
        return credits.held(self._ctx, [wallet_id])
