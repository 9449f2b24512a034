"""How remittances map onto ledger 417: each partner's prefunded position, transfer codes
and ids (docs/ledger.md shows the codes in the one chart of accounts).

A position is credit-normal with `debits_must_not_exceed_credits`: a partner can never pay
out more digital som than it prefunded, whatever the domain's own check decided. Every
transfer id is derived from the remittance (or funding) id and the leg's name, so a retry
names the same transfers and the ledger answers `exists`.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from digisom.kernel.chart import LEDGER_KGS
from digisom.kernel.ids import framed_id
from digisom.ledger.model import Account, AccountFlags

_PERSON: Final = b"digisom-remit"


class RemittanceAccountCode(IntEnum):
    """Ledger account types of the remittance domain."""

    REMITTANCE_POSITION = 70


class RemittanceTransferCode(IntEnum):
    """Ledger transfer types of the remittance domain."""

    REMITTANCE_PREFUND = 70  # the bank's float -> the partner's position
    REMITTANCE_DEFUND = 71  # the position -> the bank's float
    REMITTANCE_PAYOUT = 72  # the position -> the recipient's wallet
    REMITTANCE_WATERFALL = 73  # the excess over the wallet's holding limit -> its linked deposit
    REMITTANCE_BANK_PAYOUT = 74  # the position -> the float of the recipient's bank


# What the circulation auditor (`digisom.kernel.circulation`) must count as digital som held.
MONEY_HOLDING_CODES: Final[dict[int, str]] = {RemittanceAccountCode.REMITTANCE_POSITION: "remittance_positions"}


def derive_id(*parts: str | int) -> int:
    """A 128-bit ledger id for `parts` (never 0 nor 2^128-1)."""
    return framed_id(_PERSON, parts)


def position_account_id(partner_id: str) -> int:
    """The prefunded position of `partner_id`."""
    return derive_id("position", partner_id)


def position_account(partner_id: str) -> Account:
    """A new position account."""
    return Account(position_account_id(partner_id), LEDGER_KGS, int(RemittanceAccountCode.REMITTANCE_POSITION),
                   int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS))


def transfer_id(operation_id: str, leg: str) -> int:
    """The ledger id of one leg of a remittance or a funding operation."""
    return derive_id("transfer", operation_id, leg)
