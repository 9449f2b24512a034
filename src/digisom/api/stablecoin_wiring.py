"""Wiring of the KGST bridge to the digital som: the bridge's `WalletDirectory` over the
digital som's wallets (the bridge must not import another domain; this entry point adapts
one to the other). The demo and any process that runs a bridge use it.

A redemption credits a wallet like any other credit (`digisom.cbdc.credits`): a frozen,
closed or unknown wallet is refused by its stable reason; what fits under the holding
limit goes to the wallet, the rest to the holder's linked bank deposit (the waterfall).
The room under the limit counts credits still pending (other redemptions' holds). The
bridge decides and places its hold holding the wallet's lock (`held`), which freezing
takes too.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from digisom.cbdc import accounts, credits, repository
from digisom.cbdc.context import Context
from digisom.cbdc.model import Wallet
from digisom.stablecoin.ports import CreditLeg, CreditPlan, WalletRef


class CbdcWallets:
    """The bridge's `WalletDirectory` over the digital som's wallets."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def wallet(self, wallet_id: str) -> WalletRef | None:
        """The wallet's ledger account, and whether it may take part now (and why not)."""
        wallet = self._load(wallet_id)
        if wallet is None:
            return None
        refused = credits.refusal(wallet)
        return WalletRef(wallet.id, accounts.wallet_account_id(wallet.id), refused is None,
                         refused.value if refused else "")

    def held(self, wallet_id: str) -> AbstractContextManager[None]:
        """The wallet's lock, for deciding on and placing a hold on it."""
        return credits.held(self._ctx, [wallet_id])

    def plan_credit(self, wallet_id: str, amount_tyiyn: int, debit_account_id: int, code: int,
                    waterfall_code: int) -> CreditPlan:
        """A redemption's legs by the digital som's rule for every credit (`credits.credit_legs`)."""
        wallet = self._load(wallet_id)
        refused = credits.refusal(wallet)
        if refused is not None or wallet is None:
            return (refused or credits.CreditRefusal.NOT_FOUND).value
        plan = credits.credit_legs(wallet, amount_tyiyn, self._room_tyiyn(wallet), debit_account_id, "KGST reserve",
                                   code, waterfall_code)
        return tuple(CreditLeg(leg.name, leg.debit_account_id, leg.credit_account_id, leg.amount_tyiyn, leg.code)
                     for leg in plan.legs)

    def _load(self, wallet_id: str) -> Wallet | None:
        with self._ctx.engine.connect() as conn:
            return repository.get_wallet(conn, wallet_id)

    def _room_tyiyn(self, wallet: Wallet) -> int | None:
        """The room under the holding limit, counting credits still pending (redemptions'
        holds), so two redemptions never both use it; None without a limit."""
        if self._ctx.policy.tier(wallet.tier).balance_limit_tyiyn is None:
            return None
        account = self._ctx.ledger.account(accounts.wallet_account_id(wallet.id))
        held_tyiyn = account.credits_posted + account.credits_pending - account.debits_posted
        return credits.room_tyiyn(self._ctx, wallet, held_tyiyn)
