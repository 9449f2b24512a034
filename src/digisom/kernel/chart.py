"""The chart of accounts: every ledger, account code and transfer code of every domain,
in one table, with its owner and meaning, and which domains may debit each account code.

Every domain posts on ledger 417 (KGS), so a code must mean one thing across all of
them: `build_chart` refuses a duplicate, and tests/kernel/test_chart.py checks that every
code a domain's module defines is here under the same name. docs/ledger.md shows this
table (a test keeps the two equal). Codes are grouped in blocks per domain; a retired
code stays listed (`retired=True`) so that it is never reused with another meaning
(docs/adr/0004-one-chart-of-accounts.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final, TypeVar

from digisom.errors import DigisomError
from digisom.money import KGS

_E = TypeVar("_E")


class Domain(StrEnum):
    """The domains that post to the ledger."""

    CBDC = "cbdc"  # the digital som
    INTERBANK = "interbank"  # RTGS settlement
    DISBURSEMENT = "disbursement"  # government payments, taxes and fees
    OFFLINE = "offline"  # offline allowances
    STABLECOIN = "stablecoin"  # the KGST bridge
    REMITTANCE = "remittance"  # inbound remittances paid from partners' prefunded positions
    RESERVE = "reserve"  # the national crypto reserve's own books, one ledger per asset


class DuplicateCode(DigisomError):
    """Two entries of the chart claim one ledger, account code or transfer code."""


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A ledger (one currency): its number is the ISO 4217 numeric code."""

    number: int
    name: str
    meaning: str


@dataclass(frozen=True, slots=True)
class AccountCodeEntry:
    """An account type: who owns it, what it holds, and which domains may debit it."""

    code: int
    name: str
    owner: Domain
    meaning: str
    debited_by: frozenset[Domain]
    retired: bool = False


@dataclass(frozen=True, slots=True)
class TransferCodeEntry:
    """A transfer type: the domain that posts it and what it means. `debits`, when not
    empty, narrows the account codes a transfer of this type may debit."""

    code: int
    name: str
    owner: Domain
    meaning: str
    debits: frozenset[int] = frozenset()
    retired: bool = False


@dataclass(frozen=True, slots=True)
class Chart:
    """The whole chart, by number and code."""

    ledgers: Mapping[int, LedgerEntry]
    accounts: Mapping[int, AccountCodeEntry]
    transfers: Mapping[int, TransferCodeEntry]

    def owns(self, domain: Domain, transfer_code: int) -> bool:
        """Whether `transfer_code` is a live code of `domain`."""
        transfer = self.transfers.get(transfer_code)
        return transfer is not None and not transfer.retired and transfer.owner is domain

    def may_debit(self, domain: Domain, account_code: int, transfer_code: int) -> bool:
        """Whether `domain` may post a transfer of `transfer_code` debiting an account of
        `account_code`: the transfer code is the domain's own (and live), the account code
        lets the domain debit it, and the transfer code's own narrowing (if any) allows it."""
        account = self.accounts.get(account_code)
        if not self.owns(domain, transfer_code) or account is None or account.retired:
            return False
        if domain not in account.debited_by:
            return False
        narrowed = self.transfers[transfer_code].debits
        return not narrowed or account_code in narrowed


def build_chart(
    ledgers: Iterable[LedgerEntry], accounts: Iterable[AccountCodeEntry], transfers: Iterable[TransferCodeEntry]
) -> Chart:
    """The chart of these entries; `DuplicateCode` if a number, code or name repeats, or a
    transfer narrows to an account code the chart does not have."""
    by_ledger = _unique("ledger", ((e.number, e.name, e) for e in ledgers))
    by_account = _unique("account code", ((e.code, e.name, e) for e in accounts))
    by_transfer = _unique("transfer code", ((e.code, e.name, e) for e in transfers))
    for entry in by_transfer.values():
        unknown = entry.debits - by_account.keys()
        if unknown:
            raise DuplicateCode(f"transfer code {entry.code} ({entry.name}) narrows to unknown account codes {unknown}")
    return Chart(MappingProxyType(by_ledger), MappingProxyType(by_account), MappingProxyType(by_transfer))


def _unique(kind: str, entries: Iterable[tuple[int, str, _E]]) -> dict[int, _E]:
    by_code: dict[int, _E] = {}
    names: dict[str, int] = {}
    for code, name, entry in entries:
        if code <= 0:
            raise DuplicateCode(f"{kind} {code} ({name}): 0 is reserved by the ledger")
        if code in by_code:
            raise DuplicateCode(f"{kind} {code} is claimed twice ({_name_of(names, code)} and {name})")
        if name in names:
            raise DuplicateCode(f"{kind} name {name} is used by {names[name]} and {code}")
        by_code[code] = entry
        names[name] = code
    return by_code


def _name_of(names: Mapping[str, int], code: int) -> str:
    return next(name for name, found in names.items() if found == code)


_D: Final = Domain


def _by(*domains: Domain) -> frozenset[Domain]:
    return frozenset(domains)


# The one ledger of every domain: its number is the ISO 4217 numeric code of the som.
LEDGER_KGS: Final = KGS.numeric
# The national crypto reserve keeps each asset on a ledger of its own, in the asset's
# smallest unit (wei, token units): 90001-90099, clear of every ISO 4217 numeric code.
LEDGER_RESERVE_BNB: Final = 90_001
LEDGER_RESERVE_KGST: Final = 90_002
LEDGER_RESERVE_USDKG: Final = 90_003
LEDGER_RESERVE_ETH: Final = 90_004
LEDGER_RESERVE_BTC: Final = 90_005
LEDGERS: Final = (
    LedgerEntry(LEDGER_KGS, "KGS", "Kyrgyz som: the digital som, reserves, settlement, offline, KGST"),
    LedgerEntry(LEDGER_RESERVE_BNB, "RESERVE_BNB", "the national crypto reserve's BNB, in wei"),
    LedgerEntry(LEDGER_RESERVE_KGST, "RESERVE_KGST", "the national crypto reserve's KGST, in token units"),
    LedgerEntry(LEDGER_RESERVE_USDKG, "RESERVE_USDKG", "the national crypto reserve's USDKG, in token units"),
    LedgerEntry(LEDGER_RESERVE_ETH, "RESERVE_ETH", "the national crypto reserve's ETH, in wei"),
    LedgerEntry(LEDGER_RESERVE_BTC, "RESERVE_BTC", "the national crypto reserve's watched bitcoin, in satoshis"),
)

# Account codes 1-19: the digital som; 20-29: RTGS; 40-49: offline; 60-69: the KGST bridge;
# 70-79: remittances; 80-89: the crypto reserve.
ACCOUNT_CODES: Final = (
    AccountCodeEntry(1, "ISSUANCE", _D.CBDC, "the central bank's digital-som liability (debit balance = issued)",
                     _by(_D.CBDC)),
    AccountCodeEntry(2, "RESERVE_SOURCE", _D.CBDC, "the central bank's side of the banks' reserves", _by(_D.CBDC)),
    AccountCodeEntry(3, "BANK_RESERVE", _D.CBDC,
                     "a bank's reserves at the central bank; the RTGS settlement account when wired in",
                     _by(_D.CBDC, _D.INTERBANK)),
    AccountCodeEntry(4, "BANK_FLOAT", _D.CBDC, "a bank's digital som",
                     _by(_D.CBDC, _D.OFFLINE, _D.DISBURSEMENT, _D.REMITTANCE)),
    AccountCodeEntry(5, "WALLET", _D.CBDC, "a wallet's digital som",
                     _by(_D.CBDC, _D.OFFLINE, _D.STABLECOIN, _D.DISBURSEMENT)),
    AccountCodeEntry(6, "LINKED_DEPOSIT", _D.CBDC, "mirror of a holder's commercial-bank account", _by(_D.CBDC)),
    AccountCodeEntry(7, "DEPOSIT_FUNDING", _D.CBDC, "a bank's side of its customers' linked deposits",
                     _by(_D.CBDC, _D.DISBURSEMENT, _D.OFFLINE, _D.STABLECOIN, _D.REMITTANCE)),
    AccountCodeEntry(8, "BENEFIT", _D.CBDC, "a wallet's purpose-bound benefit of one scheme",
                     _by(_D.CBDC, _D.DISBURSEMENT)),
    AccountCodeEntry(20, "SETTLEMENT", _D.INTERBANK, "a bank's RTGS settlement account (standalone RTGS)",
                     _by(_D.INTERBANK)),
    AccountCodeEntry(21, "CREDIT_LINE", _D.INTERBANK, "a bank's intraday credit still available",
                     _by(_D.INTERBANK)),
    AccountCodeEntry(22, "COLLATERAL_PLEDGES", _D.INTERBANK, "the central bank's side of collateral pledged",
                     _by(_D.INTERBANK)),
    AccountCodeEntry(23, "LSM_CLEARING", _D.INTERBANK, "transit of every settlement set (zero after each)",
                     _by(_D.INTERBANK)),
    AccountCodeEntry(24, "LIQUIDITY_SOURCE", _D.INTERBANK, "reserves a standalone RTGS puts on settlement accounts",
                     _by(_D.INTERBANK)),
    AccountCodeEntry(40, "OFFLINE_RESERVE", _D.OFFLINE, "the digital som funded onto one offline device key",
                     _by(_D.OFFLINE)),
    AccountCodeEntry(41, "OFFLINE_GUARANTEE", _D.OFFLINE, "a bank's pass-through for offline guarantee payouts",
                     _by(_D.OFFLINE)),
    AccountCodeEntry(60, "KGST_RESERVE", _D.STABLECOIN, "the digital som backing one KGST contract's tokens",
                     _by(_D.STABLECOIN)),
    AccountCodeEntry(70, "REMITTANCE_POSITION", _D.REMITTANCE,
                     "a foreign remittance partner's prefunded digital som, paid out to recipients",
                     _by(_D.REMITTANCE)),
    AccountCodeEntry(80, "RESERVE_HOLDING", _D.RESERVE,
                     "what one reserve address holds of one asset on chain (debit balance = held)",
                     _by(_D.RESERVE)),
    AccountCodeEntry(81, "RESERVE_OUTSIDE", _D.RESERVE,
                     "the world outside the reserve for one asset: where inflows come from and movements go",
                     _by(_D.RESERVE)),
)

_WALLETS: Final = frozenset({5})
_POSITIONS: Final = frozenset({70})
# A bank's settlement account: its own (standalone RTGS) or its reserve account (wired in).
_SETTLEMENT: Final = frozenset({3, 20})
# Transfer codes 1-19: the digital som; 20-29: RTGS; 30-39: government payments;
# 40-49: offline; 60-69: the KGST bridge; 70-79: remittances; 80-89: the crypto reserve.
TRANSFER_CODES: Final = (
    TransferCodeEntry(1, "RESERVE_CREDIT", _D.CBDC, "reserves credited to a bank by monetary operations"),
    TransferCodeEntry(2, "ISSUE", _D.CBDC, "a bank converts reserves into digital som"),
    TransferCodeEntry(3, "REDEEM", _D.CBDC, "a bank converts digital som back into reserves"),
    TransferCodeEntry(7, "BENEFIT_PAYMENT", _D.CBDC, "a benefit spent at a merchant of its scheme (was 20)"),
    TransferCodeEntry(8, "BENEFIT_EXPIRY", _D.CBDC, "an expired benefit swept back to the treasury (was 21)"),
    TransferCodeEntry(9, "BENEFIT_CLOSE", _D.CBDC, "an expired benefit account closed (was 22)"),
    TransferCodeEntry(10, "P2P", _D.CBDC, "a payment between wallets"),
    TransferCodeEntry(11, "MERCHANT", _D.CBDC, "a payment to a merchant"),
    TransferCodeEntry(12, "REFUND", _D.CBDC, "a merchant's refund"),
    TransferCodeEntry(13, "REQUEST_TO_PAY", _D.CBDC, "a paid payment request"),
    TransferCodeEntry(14, "WATERFALL", _D.CBDC, "wallet overflow to the holder's bank account"),
    TransferCodeEntry(15, "REVERSE_WATERFALL", _D.CBDC, "a top-up from the holder's bank account"),
    TransferCodeEntry(16, "DEPOSIT_CREDIT", _D.CBDC, "a credit to the linked-deposit mirror"),
    TransferCodeEntry(17, "FUNDING", _D.CBDC, "a wallet funded from its linked bank account"),
    TransferCodeEntry(18, "CLOSE_SWEEP", _D.CBDC, "a closing wallet's balance swept out"),
    TransferCodeEntry(19, "CLOSE", _D.CBDC, "a wallet account closed"),
    TransferCodeEntry(20, "PAYMENT_CREDIT", _D.INTERBANK, "clearing -> the receiver's settlement account",
                      frozenset({23})),
    TransferCodeEntry(21, "PAYMENT_DEBIT", _D.INTERBANK, "the sender's settlement account -> clearing",
                      _SETTLEMENT),
    TransferCodeEntry(22, "CREDIT_DRAW", _D.INTERBANK, "intraday credit drawn into a settlement account",
                      frozenset({21})),
    TransferCodeEntry(23, "CREDIT_REPAY", _D.INTERBANK, "intraday credit repaid", _SETTLEMENT),
    TransferCodeEntry(24, "COLLATERAL_PLEDGE", _D.INTERBANK, "collateral pledged -> credit line", frozenset({22})),
    TransferCodeEntry(25, "LIQUIDITY_INJECTION", _D.INTERBANK, "standalone funding of a settlement account",
                      frozenset({24})),
    TransferCodeEntry(30, "DISBURSEMENT", _D.DISBURSEMENT, "a programme pays a recipient from a government wallet",
                      _WALLETS),
    TransferCodeEntry(31, "TAX", _D.DISBURSEMENT, "a tax or fee paid from a wallet to the treasury", _WALLETS),
    TransferCodeEntry(32, "DISBURSEMENT_RETURN", _D.DISBURSEMENT,
                      "a paid payment sent back to the programme's wallet", frozenset({4, 5, 8})),
    TransferCodeEntry(33, "DISBURSEMENT_WATERFALL", _D.DISBURSEMENT,
                      "a disbursement's excess over the payee wallet's holding limit -> the payee's linked deposit",
                      frozenset({5, 7})),
    TransferCodeEntry(40, "OFFLINE_FUNDING", _D.OFFLINE, "wallet -> device reserve", _WALLETS),
    TransferCodeEntry(41, "OFFLINE_PAYOUT", _D.OFFLINE, "device reserve -> payee wallet", frozenset({40})),
    TransferCodeEntry(42, "OFFLINE_GUARANTEE_ADVANCE", _D.OFFLINE, "bank float -> bank guarantee account",
                      frozenset({4})),
    TransferCodeEntry(43, "OFFLINE_GUARANTEE_PAYOUT", _D.OFFLINE, "bank guarantee account -> payee wallet",
                      frozenset({41})),
    TransferCodeEntry(44, "OFFLINE_DEFUNDING", _D.OFFLINE, "device reserve -> wallet (unspent value at sync)",
                      frozenset({40})),
    TransferCodeEntry(45, "OFFLINE_WATERFALL", _D.OFFLINE,
                      "an offline payout's or return's excess over the wallet's holding limit -> its linked deposit",
                      frozenset({40, 41, 7})),
    TransferCodeEntry(60, "KGST_MINT", _D.STABLECOIN, "a holder's wallet -> the KGST reserve (tokens minted)",
                      _WALLETS),
    TransferCodeEntry(61, "KGST_REDEEM", _D.STABLECOIN, "the KGST reserve -> a holder's wallet (tokens burnt)",
                      frozenset({60})),
    TransferCodeEntry(62, "KGST_REDEEM_WATERFALL", _D.STABLECOIN,
                      "a redemption's excess over the wallet's holding limit -> the holder's linked deposit",
                      frozenset({60, 7})),
    TransferCodeEntry(70, "REMITTANCE_PREFUND", _D.REMITTANCE,
                      "the partner's bank float -> the partner's position (the partner prefunds)", frozenset({4})),
    TransferCodeEntry(71, "REMITTANCE_DEFUND", _D.REMITTANCE, "the partner's position -> its bank's float",
                      _POSITIONS),
    TransferCodeEntry(72, "REMITTANCE_PAYOUT", _D.REMITTANCE, "the partner's position -> the recipient's wallet",
                      _POSITIONS),
    TransferCodeEntry(73, "REMITTANCE_WATERFALL", _D.REMITTANCE,
                      "a payout's excess over the wallet's holding limit -> the recipient's linked deposit",
                      frozenset({70, 7})),
    TransferCodeEntry(74, "REMITTANCE_BANK_PAYOUT", _D.REMITTANCE,
                      "the partner's position -> the float of the bank holding the recipient's account", _POSITIONS),
    TransferCodeEntry(80, "RESERVE_INFLOW", _D.RESERVE,
                      "an inflow observed on chain (a log; a watched bitcoin balance going up) -> the holding",
                      frozenset({80})),
    TransferCodeEntry(81, "RESERVE_OUTFLOW", _D.RESERVE,
                      "a movement executed by the reserve's wallet, or a watched bitcoin balance going down "
                      "(a spend or a re-org): the holding -> outside", frozenset({81})),
)

CHART: Final = build_chart(LEDGERS, ACCOUNT_CODES, TRANSFER_CODES)


def markdown(chart: Chart) -> str:
    """The chart as the Markdown tables of docs/ledger.md (a test keeps the doc equal to this)."""
    lines = ["| ledger | name | meaning |", "|---:|---|---|"]
    lines += [f"| {e.number} | `{e.name}` | {e.meaning} |" for e in chart.ledgers.values()]
    lines += ["", "| account code | name | owner | meaning | may be debited by |", "|---:|---|---|---|---|"]
    lines += [
        f"| {e.code} | `{e.name}` | {e.owner.value} | {e.meaning}{' (retired)' if e.retired else ''} | "
        f"{', '.join(sorted(d.value for d in e.debited_by))} |"
        for e in sorted(chart.accounts.values(), key=lambda e: e.code)
    ]
    lines += ["", "| transfer code | name | owner | meaning | may debit only |", "|---:|---|---|---|---|"]
    lines += [
        f"| {e.code} | `{e.name}` | {e.owner.value} | {e.meaning}{' (retired)' if e.retired else ''} | "
        f"{', '.join(chart.accounts[c].name for c in sorted(e.debits))} |"
        for e in sorted(chart.transfers.values(), key=lambda e: e.code)
    ]
    return "\n".join(lines) + "\n"
