"""An operation's hold as ledger transfers: one linked chain of pending legs, posted or
voided together.

A mint holds one leg, wallet -> reserve (`KGST_MINT`). A redemption credits a wallet like
every other credit (the `WalletDirectory` plans it by the digital som's rule): what fits
under the wallet's holding limit reserve -> wallet (`KGST_REDEEM`), the excess reserve ->
the holder bank's float and deposit funding -> the holder's linked deposit
(`KGST_REDEEM_WATERFALL`). Each leg's id derives from the operation, the step (`hold`,
`post`, `void`) and the leg's name; the wallet's leg keeps the ids it had before the
waterfall (`hold`, `post`, `void`), so operations held before it still post and void.

The split depends on the wallet's balance when the hold is placed, so a hold placed
before a crash is never planned again, and the post or the void resolves exactly the legs
the ledger holds (`hold_ids`), never a split computed again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

from digisom.errors import invariant
from digisom.kernel.chart import LEDGER_KGS
from digisom.kernel.credit_plans import WALLET_LEG, WATERFALL_LEGS, CreditLeg
from digisom.ledger.model import Transfer, TransferFlags
from digisom.stablecoin.accounts import transfer_id

Step = Literal["hold", "post", "void"]

_LINKED: Final = int(TransferFlags.LINKED)
_RESOLVE: Final = {"post": int(TransferFlags.POST_PENDING_TRANSFER), "void": int(TransferFlags.VOID_PENDING_TRANSFER)}
LEG_NAMES: Final = (WALLET_LEG, *WATERFALL_LEGS)


def leg_id(operation_id: str, step: Step, leg_name: str) -> int:
    """The ledger id of one leg of one step of an operation."""
    return transfer_id(operation_id, step if leg_name == WALLET_LEG else f"{step}-{leg_name}")


def hold_ids(operation_id: str) -> list[int]:
    """Every id a leg of the operation's hold may have, in chain order (look them up to
    learn which legs the hold has)."""
    return [leg_id(operation_id, "hold", name) for name in LEG_NAMES]


def hold_chain(operation_id: str, legs: Sequence[CreditLeg]) -> list[Transfer]:
    """The hold: the planned legs as pending transfers, each but the last linked to the next."""
    unknown = {leg.name for leg in legs} - set(LEG_NAMES)
    invariant(bool(legs) and not unknown, f"a hold needs legs named among {LEG_NAMES}, not {sorted(unknown)}")
    return [
        Transfer(leg_id(operation_id, "hold", leg.name), leg.debit_account_id, leg.credit_account_id,
                 leg.amount_tyiyn, LEDGER_KGS, leg.code, int(TransferFlags.PENDING) | _linked(n, len(legs)))
        for n, leg in enumerate(legs)
    ]


def resolve_chain(operation_id: str, held: Sequence[Transfer], step: Literal["post", "void"]) -> list[Transfer]:
    """Post (the full amounts) or void every leg of `held`, the hold's legs as the ledger
    has them (in the order of `hold_ids`), in one linked chain."""
    names = {leg_id(operation_id, "hold", name): name for name in LEG_NAMES}
    invariant(bool(held) and all(t.id in names for t in held), f"{operation_id}: not the legs of its hold")
    return [
        Transfer(leg_id(operation_id, step, names[t.id]), 0, 0, t.amount if step == "post" else 0, 0, 0,
                 _RESOLVE[step] | _linked(n, len(held)), pending_id=t.id)
        for n, t in enumerate(held)
    ]


def _linked(position: int, count: int) -> int:
    return _LINKED if position < count - 1 else 0
