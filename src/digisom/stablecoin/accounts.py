"""How the KGST bridge maps onto ledger 417: the reserve account, transfer codes and ids.

`KGST_RESERVE`, one per token contract, holds the digital som that backs the tokens in
circulation: credit-normal, `debits_must_not_exceed_credits`, so it can never release
more than it holds. A mint's hold credits it (pending), a redemption's hold debits it.
Codes start at 60, clear of the digital som's (1-19), the RTGS's (20-29) and offline's (40-49).
Every transfer id is derived from the operation id, so a retry names the same transfers
and the ledger answers `exists`.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from digisom.kernel.chart import LEDGER_KGS
from digisom.kernel.ids import framed_id
from digisom.ledger.model import Account, AccountFlags

_PERSON: Final = b"digisom-kgst"


class StablecoinAccountCode(IntEnum):
    """Ledger account types of the bridge."""

    KGST_RESERVE = 60


class StablecoinTransferCode(IntEnum):
    """Ledger transfer types of the bridge."""

    KGST_MINT = 60  # holder's wallet -> reserve
    KGST_REDEEM = 61  # reserve -> holder's wallet
    KGST_REDEEM_WATERFALL = 62  # a redemption's excess over the wallet's holding limit -> the linked deposit


def derive_id(*parts: str | int) -> int:
    """A 128-bit ledger id for `parts`, never 0 and never 2^128-1 (reserved)."""
    return framed_id(_PERSON, parts)


def reserve_account_id(chain_id: int, token_address: str) -> int:
    """The reserve account of the token at `token_address` on chain `chain_id`."""
    return derive_id("reserve", chain_id, token_address.lower())


def reserve_account(chain_id: int, token_address: str) -> Account:
    """A new reserve account."""
    return Account(reserve_account_id(chain_id, token_address), LEDGER_KGS, int(StablecoinAccountCode.KGST_RESERVE),
                   int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS))


def transfer_id(operation_id: str, leg: str) -> int:
    """The ledger id of one leg (`hold`, `post`, `void`) of an operation."""
    return derive_id("transfer", operation_id, leg)
