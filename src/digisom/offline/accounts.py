"""How offline value maps onto ledger 417: account types, transfer codes and ids.

- `OFFLINE_RESERVE`, one per device key: funding moves digital som from the holder's
  wallet into it; settlement pays payees out of it; unspent value returns to the wallet
  at sync. `debits_must_not_exceed_credits`: a reserve can never pay out more than was
  funded, whatever the code does.
- `OFFLINE_GUARANTEE`, one per commercial bank: a pass-through for the guarantee. A
  guarantee payout is a linked pair, bank float -> guarantee account -> payee wallet, so
  the bank's digital som pays the honest payee (no money is created) and the account's
  posted debits are the bank's claims on its fraudulent customers, visible in the ledger.

Codes start at 40 to stay clear of the digital som's (1-19) and the interbank phase's.
Offline value in circulation is the sum of the reserves: with the wallets and floats it
must equal the central bank's issuance liability (the guarantee account nets to zero).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from digisom.kernel.chart import LEDGER_KGS
from digisom.kernel.ids import framed_id
from digisom.ledger.model import Account, AccountFlags

_PERSON: Final = b"digisom-offline"


class OfflineAccountCode(IntEnum):
    """Ledger account types of the offline domain."""

    OFFLINE_RESERVE = 40
    OFFLINE_GUARANTEE = 41


class OfflineTransferCode(IntEnum):
    """Ledger transfer types of the offline domain."""

    OFFLINE_FUNDING = 40  # wallet -> device reserve
    OFFLINE_PAYOUT = 41  # device reserve -> payee wallet
    OFFLINE_GUARANTEE_ADVANCE = 42  # bank float -> bank guarantee account
    OFFLINE_GUARANTEE_PAYOUT = 43  # bank guarantee account -> payee wallet
    OFFLINE_DEFUNDING = 44  # device reserve -> wallet (unspent value returned at sync)
    OFFLINE_WATERFALL = 45  # a payout's or return's excess over the wallet's holding limit -> its linked deposit


_DMNEC: Final = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)


def derive_id(*parts: bytes | str | int) -> int:
    """A 128-bit ledger id for `parts`, never 0 and never 2^128-1 (reserved)."""
    return framed_id(_PERSON, parts)


def reserve_account_id(device_key_id: bytes) -> int:
    """The offline reserve of one device key."""
    return derive_id("reserve", device_key_id)


def guarantee_account_id(bank_code: str) -> int:
    """The guarantee pass-through account of one commercial bank."""
    return derive_id("guarantee", bank_code)


def reserve_account(device_key_id: bytes) -> Account:
    """A new device reserve account."""
    return Account(reserve_account_id(device_key_id), LEDGER_KGS, int(OfflineAccountCode.OFFLINE_RESERVE), _DMNEC)


def guarantee_account(bank_code: str) -> Account:
    """A new bank guarantee account."""
    return Account(guarantee_account_id(bank_code), LEDGER_KGS, int(OfflineAccountCode.OFFLINE_GUARANTEE), _DMNEC)


def payment_transfer_id(payer_key_id: bytes, counter: int, payment_hash: bytes, part: str) -> int:
    """The ledger id of one part of an offline payment's settlement, derived from the
    payment's identity (payer key id, counter, payment hash): a re-upload names the same
    transfers and the ledger answers `exists`, so nothing is paid twice."""
    return derive_id("payment", payer_key_id, counter, payment_hash, part)


def operation_transfer_id(kind: str, operation_id: str) -> int:
    """The ledger id of a funding or defunding named by its operation id."""
    return derive_id(kind, operation_id)
