"""Wiring of the KGST bridge to the digital som: the bridge's `WalletDirectory` over the
digital som's wallets (the bridge must not import another domain; this entry point adapts
one to the other), and its `AddressScreening` over the compliance desk. The demo and any
process that runs a bridge use it.

A redemption credits a wallet like any other credit (`digisom.cbdc.credits`): a frozen,
closed or unknown wallet is refused by its stable reason; what fits under the holding
limit goes to the wallet, the rest to the holder's linked bank deposit (the waterfall).
The room under the limit counts credits still pending (other redemptions' holds). The
bridge decides and places its hold holding the wallet's lock (`held`), which freezing
takes too.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Final

from digisom.api.screening_wiring import decision_reason
from digisom.cbdc import accounts, credits
from digisom.cbdc.context import Context
from digisom.compliance.desk import ComplianceDesk
from digisom.kernel.credit_plans import CreditLeg, CreditPlan
from digisom.kernel.screening import ScreeningDecision
from digisom.stablecoin.ports import AddressPurpose, AddressVerdict, WalletRef

BRIDGE_REQUESTER: Final = "system:kgst-bridge"
# Rail 2's feed (`remittance_chain_wiring.ScreenedRedemptions`) hands the bridge only
# senders it screened and recorded itself: the bridge does not screen them again.
SCREENED_BY_RAIL_2: Final = "sender screened by remittance rail 2 (context remittance)"


class BridgeAddressScreener:
    """The bridge's `AddressScreening` over the compliance desk: each address screened and
    recorded under `kgst_<purpose>`. With `senders_screened_upstream` (the bridge's feed is
    rail 2's, which screens every sender) a redemption's sender passes as screened there."""

    def __init__(self, desk: ComplianceDesk, *, senders_screened_upstream: bool) -> None:
        self._desk = desk
        self._upstream = senders_screened_upstream

    def screen_address(self, address: str, purpose: AddressPurpose) -> AddressVerdict:
        """Screen and record `address` (exact match against the lists' wallet entries)."""
        if purpose is AddressPurpose.REDEMPTION_SENDER and self._upstream:
            return AddressVerdict(ScreeningDecision.CLEAR, SCREENED_BY_RAIL_2)
        recorded = self._desk.screen_address(address, context=f"kgst_{purpose.value}", requested_by=BRIDGE_REQUESTER)
        return AddressVerdict(ScreeningDecision(recorded.result.decision.value), decision_reason(recorded))


class BridgeWalletDirectory:
    """The bridge's `WalletDirectory` over the digital som's wallets."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def wallet(self, wallet_id: str) -> WalletRef | None:
        """The wallet's ledger account, and whether it may take part now (and why not)."""
        wallet = credits.load_many(self._ctx, [wallet_id]).get(wallet_id)
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
        """A redemption's legs by the digital som's rule for every credit (`credits.plan_credits`:
        the room counts credits still pending, so two redemptions never both use it)."""
        (plan,) = credits.plan_credits(self._ctx, [credits.CreditRequest(
            wallet_id, amount_tyiyn, debit_account_id, "KGST reserve", code, waterfall_code)])
        if isinstance(plan, credits.CreditRefusal):
            return plan.value
        return tuple(CreditLeg(leg.name, leg.debit_account_id, leg.credit_account_id, leg.amount_tyiyn, leg.code)
                     for leg in plan.legs)
