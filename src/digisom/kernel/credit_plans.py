"""The shape of a planned credit to a digital som wallet, as other domains receive it from
the composition root (which plans it by the digital som's one rule, `digisom.cbdc.credits`:
frozen or closed wallets refused, the excess over the holding limit waterfalled). Offline
payouts and KGST redemptions post these legs as one linked chain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

# The name of a credit's leg into the wallet, and of the waterfall's two legs (the
# digital som derives its transfer ids from these names).
WALLET_LEG: Final = "payment"
WATERFALL_LEGS: Final = ("waterfall-float", "waterfall-deposit")


@dataclass(frozen=True, slots=True)
class CreditLeg:
    """One transfer of a planned credit, named `WALLET_LEG` or one of `WATERFALL_LEGS`."""

    name: str
    debit_account_id: int
    credit_account_id: int
    amount_tyiyn: int
    code: int


# A credit's legs in order (one linked chain), or why the wallet may not receive now
# (`wallet_frozen`, `wallet_closed`, `wallet_not_found`).
CreditPlan = tuple[CreditLeg, ...] | str
