"""How interbank settlement maps onto ledger 417: account types, transfer codes, ids.

Per bank:
- its **settlement account** at the central bank (`debits_must_not_exceed_credits`: the
  ledger itself refuses any payment without cover). When the digital som is wired in,
  this is the bank's reserve account of `digisom.cbdc`; the entry point passes a
  `SettlementAccountFactory` that names it, so the two phases share one account;
- its **intraday credit line** (`debits_must_not_exceed_credits`): credited with the
  value of the collateral it pledged (after haircut), debited when the RTGS draws credit
  into the settlement account, credited back when the credit is repaid. Its balance is
  the credit still available; pledged minus balance is the credit drawn.

Central (one each):
- **collateral pledges** (`credits_must_not_exceed_debits`): the central bank's side of
  every pledge; its debit balance is the collateral value pledged by all banks;
- **liquidity source** (`credits_must_not_exceed_debits`): the central bank's side of
  reserves the RTGS puts on a settlement account itself (`Rtgs.fund`, for a standalone
  RTGS; wired to the digital som, reserves come from its own reserve credit instead);
- **LSM clearing**: the transit account through which every settlement set runs. A set
  first credits every receiver from clearing, then debits every sender into clearing,
  so the ledger checks each bank's cover against its position after the whole set (the
  simultaneous settlement an offset or gridlock resolution needs). It is back at zero
  after every chain.

Ids are keyed hashes of names, so creating an account or resubmitting a chain is
idempotent: the same input always names the same ids.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Final

from digisom.kernel.chart import LEDGER_KGS
from digisom.kernel.ids import joined_id
from digisom.ledger.model import Account, AccountFlags

# A bank code names a settlement account: the entry point may name the digital som's
# reserve account (`digisom.cbdc`) instead of the one below.
SettlementAccountFactory = Callable[[str], Account]


class AccountCode(IntEnum):
    """Ledger account types of the RTGS (20..29, clear of the digital som's 1..19)."""

    SETTLEMENT = 20
    CREDIT_LINE = 21
    COLLATERAL_PLEDGES = 22
    LSM_CLEARING = 23
    LIQUIDITY_SOURCE = 24


class TransferCode(IntEnum):
    """Ledger transfer types of the RTGS (20..29)."""

    PAYMENT_CREDIT = 20  # clearing -> receiver's settlement account
    PAYMENT_DEBIT = 21  # sender's settlement account -> clearing
    CREDIT_DRAW = 22  # credit line -> settlement account
    CREDIT_REPAY = 23  # settlement account -> credit line
    COLLATERAL_PLEDGE = 24  # pledges -> credit line
    LIQUIDITY_INJECTION = 25  # liquidity source -> settlement account (standalone funding)


_DMNEC: Final = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
_CMNED: Final = int(AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS)


def derive_id(*parts: str) -> int:
    """A 128-bit id for `parts`, never 0 and never 2^128-1 (both reserved by the ledger)."""
    return joined_id(b"digisom-rtgs-id", parts)


def own_settlement_account(bank_code: str) -> Account:
    """The RTGS's own settlement account for `bank_code`, when no digital som is wired in."""
    return Account(id=derive_id("settlement", bank_code), ledger=LEDGER_KGS, code=AccountCode.SETTLEMENT,
                   flags=_DMNEC)


def credit_line_account(bank_code: str) -> Account:
    """A bank's intraday credit line."""
    return Account(id=derive_id("credit-line", bank_code), ledger=LEDGER_KGS, code=AccountCode.CREDIT_LINE,
                   flags=_DMNEC)


PLEDGES_ID: Final = derive_id("central", "collateral-pledges")
CLEARING_ID: Final = derive_id("central", "lsm-clearing")
LIQUIDITY_SOURCE_ID: Final = derive_id("central", "liquidity-source")


def central_accounts() -> list[Account]:
    """The RTGS's central accounts: collateral pledges, LSM clearing, liquidity source."""
    return [
        Account(id=PLEDGES_ID, ledger=LEDGER_KGS, code=AccountCode.COLLATERAL_PLEDGES, flags=_CMNED),
        Account(id=CLEARING_ID, ledger=LEDGER_KGS, code=AccountCode.LSM_CLEARING),
        Account(id=LIQUIDITY_SOURCE_ID, ledger=LEDGER_KGS, code=AccountCode.LIQUIDITY_SOURCE, flags=_CMNED),
    ]


def transfer_id(*parts: str) -> int:
    """The ledger id of one leg, named by what it settles: a retry names the same id."""
    return derive_id("transfer", *parts)


def available(account: Account) -> int:
    """What a credit-normal account can still pay: posted credits less all debits."""
    return account.credits_posted - account.debits_posted - account.debits_pending


def balance(account: Account) -> int:
    """The posted balance of a credit-normal account (negative: a debit balance)."""
    return account.credits_posted - account.debits_posted
