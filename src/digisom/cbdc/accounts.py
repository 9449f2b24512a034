"""How the digital som maps onto ledger 417: account types, transfer codes, and ids.

Ledger ids are derived from domain ids with a keyed hash, so creating an account or
resubmitting a payment chain is idempotent: the same input always names the same ids,
and the ledger answers a retry with `exists` instead of moving value twice.

Money views (who owes what):
- `ISSUANCE` is the central bank's digital-som liability: debits minus credits is the
  amount issued and not redeemed. `RESERVE_SOURCE` is the central bank's side of the
  banks' reserves (what monetary operations created).
- `BANK_RESERVE` (a bank's settlement account at the central bank), `BANK_FLOAT` (its
  digital som) and `WALLET` hold credit balances and must never go negative.
- `BENEFIT` holds one purpose-bound benefit of one wallet (one account per wallet and
  scheme): digital som the treasury paid, spendable only at merchants of the scheme's
  categories until it expires, then swept back to the treasury (docs/benefits.md).
- `LINKED_DEPOSIT` mirrors a customer's commercial-bank account (commercial-bank money,
  not digital som) and `DEPOSIT_FUNDING` is the bank's side of those deposits.

Digital som in circulation is the sum of `BANK_FLOAT`, `WALLET` and `BENEFIT` balances
(and of other domains' holding codes: offline reserves, the KGST reserve); it must always
equal the `ISSUANCE` balance. `CBDC_MONEY` is this domain's part of the money chart that
`digisom.kernel.circulation` audits; the entry point adds the other domains' codes.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

from digisom.kernel.chart import LEDGER_KGS
from digisom.kernel.circulation import MoneyChart
from digisom.kernel.ids import joined_id
from digisom.ledger.model import Account, AccountFlags

_ID_DOMAIN: Final = b"digisom/cbdc/v1"


class AccountCode(IntEnum):
    """Ledger account types (the account's `code`); values from `digisom.kernel.chart`
    (tests/kernel/test_chart.py keeps them equal)."""

    ISSUANCE = 1
    RESERVE_SOURCE = 2
    BANK_RESERVE = 3
    BANK_FLOAT = 4
    WALLET = 5
    LINKED_DEPOSIT = 6
    DEPOSIT_FUNDING = 7
    BENEFIT = 8


class TransferCode(IntEnum):
    """Ledger transfer types (the transfer's `code`); statements show their names."""

    RESERVE_CREDIT = 1
    ISSUE = 2
    REDEEM = 3
    # 7-9 were 20-22, which interbank's RTGS codes also used (docs/adr/0004-one-chart-of-accounts.md).
    BENEFIT_PAYMENT = 7
    BENEFIT_EXPIRY = 8
    BENEFIT_CLOSE = 9
    P2P = 10
    MERCHANT = 11
    REFUND = 12
    REQUEST_TO_PAY = 13
    WATERFALL = 14
    REVERSE_WATERFALL = 15
    DEPOSIT_CREDIT = 16
    FUNDING = 17
    CLOSE_SWEEP = 18
    CLOSE = 19
    # Written by `digisom.disbursement` (its own `TransferCode.DISBURSEMENT`); named here so
    # statements show the treasury's payments by name. A test keeps the two equal.
    DISBURSEMENT = 30


_DMNEC: Final = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
_CMNED: Final = AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
ACCOUNT_FLAGS: Final[dict[AccountCode, int]] = {
    AccountCode.ISSUANCE: int(_CMNED),
    AccountCode.RESERVE_SOURCE: int(_CMNED),
    AccountCode.BANK_RESERVE: int(_DMNEC),
    AccountCode.BANK_FLOAT: int(_DMNEC),
    AccountCode.WALLET: int(_DMNEC | AccountFlags.HISTORY),
    AccountCode.LINKED_DEPOSIT: int(_DMNEC),
    AccountCode.DEPOSIT_FUNDING: 0,
    AccountCode.BENEFIT: int(_DMNEC | AccountFlags.HISTORY),
}
# The names the issuance summary shows this domain's holdings under.
FLOATS: Final = "floats"
WALLETS: Final = "wallets"
BENEFITS: Final = "benefits"
# Accounts whose balance is digital som held by someone (circulation), against the issuer's.
CBDC_MONEY: Final = MoneyChart(LEDGER_KGS, AccountCode.ISSUANCE, {
    AccountCode.BANK_FLOAT: FLOATS, AccountCode.WALLET: WALLETS, AccountCode.BENEFIT: BENEFITS,
})
CIRCULATING_CODES: Final = frozenset(AccountCode(c) for c in CBDC_MONEY.holding_codes)


def derive_id(*parts: str) -> int:
    """A 128-bit id for `parts`, never 0 and never 2^128-1 (both reserved by the ledger)."""
    return joined_id(b"digisom-cbdc-id", parts)


def central_account_id(code: AccountCode) -> int:
    """The central bank's own accounts (`ISSUANCE`, `RESERVE_SOURCE`)."""
    return derive_id("central", code.name)


def bank_account_id(bank_code: str, code: AccountCode) -> int:
    """A bank's accounts: `BANK_RESERVE`, `BANK_FLOAT`, `DEPOSIT_FUNDING`.

    The reserve account's id is shared with the interbank phase: `derive_id("bank", code, "BANK_RESERVE")`.
    """
    return derive_id("bank", bank_code, code.name)


def wallet_account_id(wallet_id: str) -> int:
    """A wallet's digital-som account."""
    return derive_id("wallet", wallet_id, AccountCode.WALLET.name)


def deposit_account_id(wallet_id: str) -> int:
    """The mirror of the wallet holder's linked commercial-bank account."""
    return derive_id("wallet", wallet_id, AccountCode.LINKED_DEPOSIT.name)


def benefit_account_id(scheme_id: str, wallet_id: str) -> int:
    """A wallet's account for one benefit scheme."""
    return derive_id("benefit", scheme_id, wallet_id, AccountCode.BENEFIT.name)


def transfer_id(operation_id: str, leg: str) -> int:
    """The id of one leg of an operation's chain: a retry names the same ids."""
    return derive_id("transfer", operation_id, leg)


def account(account_id: int, code: AccountCode) -> Account:
    """A new ledger-417 account of type `code` with that type's balance flags."""
    return Account(id=account_id, ledger=LEDGER_KGS, code=int(code), flags=ACCOUNT_FLAGS[code])


def central_accounts() -> list[Account]:
    """The central bank's accounts, created once at start-up (idempotently)."""
    return [account(central_account_id(c), c) for c in (AccountCode.ISSUANCE, AccountCode.RESERVE_SOURCE)]


def bank_accounts(bank_code: str) -> list[Account]:
    """A bank's reserve, float and deposit-funding accounts."""
    codes = (AccountCode.BANK_RESERVE, AccountCode.BANK_FLOAT, AccountCode.DEPOSIT_FUNDING)
    return [account(bank_account_id(bank_code, c), c) for c in codes]


def wallet_accounts(wallet_id: str) -> list[Account]:
    """A wallet's digital-som account and its linked-deposit mirror."""
    return [
        account(wallet_account_id(wallet_id), AccountCode.WALLET),
        account(deposit_account_id(wallet_id), AccountCode.LINKED_DEPOSIT),
    ]


def balance_tyiyn(acct: Account) -> int:
    """The posted balance in the account's natural direction (credit-normal for holders,
    debit-normal for the central bank's `ISSUANCE` and `RESERVE_SOURCE`)."""
    if acct.code in (AccountCode.ISSUANCE, AccountCode.RESERVE_SOURCE, AccountCode.DEPOSIT_FUNDING):
        return acct.debits_posted - acct.credits_posted
    return acct.credits_posted - acct.debits_posted


def held_tyiyn(acct: Account) -> int:
    """What a holder's account counts against its holding limit: the posted balance plus
    credits still pending (a KGST redemption's hold), which will land unless voided;
    pending debits still count as held until they post."""
    return acct.credits_posted + acct.credits_pending - acct.debits_posted


def available_tyiyn(acct: Account) -> int:
    """What a credit-normal account can still pay (posted credits less all debits)."""
    return acct.credits_posted - acct.debits_posted - acct.debits_pending
