"""The digital som's records: frozen dataclasses, amounts in integer tyiyn."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from digisom.cbdc.accounts import BENEFITS, FLOATS, WALLETS
from digisom.kernel.circulation import Circulation

_T = TypeVar("_T")


class ParticipantKind(StrEnum):
    """Who takes part. Banks and payment providers carry a bank code."""

    CENTRAL_BANK = "central_bank"
    COMMERCIAL_BANK = "commercial_bank"
    PAYMENT_PROVIDER = "payment_provider"
    TREASURY = "treasury"
    MINISTRY = "ministry"


BANK_KINDS = frozenset({ParticipantKind.COMMERCIAL_BANK, ParticipantKind.PAYMENT_PROVIDER})


class HolderKind(StrEnum):
    """Who holds a wallet: a person, a merchant (with a category code), or a public body."""

    INDIVIDUAL = "individual"
    MERCHANT = "merchant"
    GOVERNMENT = "government"


class WalletStatus(StrEnum):
    """A wallet's life: active, frozen by a legal order, closed (balance swept out)."""

    ACTIVE = "active"
    FROZEN = "frozen"
    CLOSING = "closing"
    CLOSED = "closed"


class PaymentKind(StrEnum):
    """What a payment was: person to person, to a merchant's QR code, a refund, a request paid."""

    P2P = "p2p"
    MERCHANT = "merchant"
    REFUND = "refund"
    REQUEST = "request"


@dataclass(frozen=True, slots=True)
class Participant:
    """A registered institution."""

    id: str
    kind: ParticipantKind
    name: str
    bank_code: str | None
    created_at: str


@dataclass(frozen=True, slots=True)
class MerchantProfile:
    """What a merchant's QR code shows."""

    name: str
    city: str
    mcc: str


@dataclass(frozen=True, slots=True)
class Wallet:
    """A wallet as the central bank sees it: pseudonymous, no identity."""

    id: str
    bank_code: str
    holder_id: str
    holder_kind: HolderKind
    tier: int
    status: WalletStatus
    merchant: MerchantProfile | None
    created_at: str


@dataclass(frozen=True, slots=True)
class WalletLimits:
    """The wallet's tier limits and the room left under each (None: no limit)."""

    balance_limit_tyiyn: int | None
    balance_room_tyiyn: int | None
    monthly_inflow_limit_tyiyn: int | None
    monthly_inflow_room_tyiyn: int | None
    payment_limit_tyiyn: int | None


@dataclass(frozen=True, slots=True)
class BenefitScheme:
    """A purpose-bound benefit: spendable only at merchants of `categories` (MCCs) through
    `expires_on` (a date in Asia/Bishkek time); then the unspent part returns to
    `treasury_wallet_id`."""

    id: str
    name: str
    categories: tuple[str, ...]
    expires_on: str  # YYYY-MM-DD, the last day it can be spent
    treasury_wallet_id: str
    created_by: str
    created_at: str


@dataclass(frozen=True, slots=True)
class BenefitBalance:
    """What a wallet holds of one benefit: a balance apart from the wallet's own."""

    scheme_id: str
    name: str
    balance_tyiyn: int
    categories: tuple[str, ...]
    expires_on: str


@dataclass(frozen=True, slots=True)
class BenefitExpiry:
    """The outcome of returning an expired scheme's unspent benefits to the treasury."""

    scheme_id: str
    accounts_swept: int
    accounts_with_balance: int
    returned_tyiyn: int


@dataclass(frozen=True, slots=True)
class WalletView:
    """A wallet with its balances and limits, and its benefits (separate balances that
    do not count toward the holding limit)."""

    wallet: Wallet
    balance_tyiyn: int
    linked_deposit_tyiyn: int
    limits: WalletLimits
    benefits: Sequence[BenefitBalance] = ()


@dataclass(frozen=True, slots=True)
class Alias:
    """A row of the banks' alias directory: a person's number and where they are paid."""

    personal_number: str
    bank_code: str
    wallet_id: str | None
    bank_account: str | None
    created_at: str
    updated_at: str


class AliasChannel(StrEnum):
    """Where an alias pays: into a wallet, or to an account at the bank (via its float)."""

    WALLET = "wallet"
    BANK_ACCOUNT = "bank_account"


@dataclass(frozen=True, slots=True)
class AliasTarget:
    """What a personal number resolves to, for the treasury's disbursement wiring."""

    channel: str  # "wallet" | "bank_account" (an `AliasChannel` value)
    account_id: int  # ledger account to credit: the wallet's WALLET account, or the bank's BANK_FLOAT
    bank_code: str
    wallet_id: str | None
    bank_account: str | None


@dataclass(frozen=True, slots=True)
class Identity:
    """The holder's identity, kept by the bank. The PIN is stored only as a salted hash."""

    wallet_id: str
    bank_code: str
    full_name: str
    phone: str


@dataclass(frozen=True, slots=True)
class Hold:
    """A freeze or unfreeze under a legal order."""

    wallet_id: str
    action: str
    reason: str
    legal_order_ref: str
    actor: str
    created_at: str


@dataclass(frozen=True, slots=True)
class Payment:
    """One payment: a linked chain in the ledger. `topup_tyiyn` came from the payer's bank
    account (reverse waterfall); `waterfall_tyiyn` went to the payee's bank account."""

    id: str
    kind: PaymentKind
    payer_wallet_id: str
    payee_wallet_id: str
    amount_tyiyn: int
    refunded_tyiyn: int
    topup_tyiyn: int
    waterfall_tyiyn: int
    status: str
    reference: str | None
    refund_of: str | None
    created_at: str
    benefit_scheme_id: str | None = None  # paid from (or refunded to) this benefit, not the wallet


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """A request to pay, sent by a payee to a payer's wallet."""

    id: str
    payee_wallet_id: str
    payer_wallet_id: str
    amount_tyiyn: int
    message: str | None
    status: str
    payment_id: str | None
    created_at: str


@dataclass(frozen=True, slots=True)
class IssuanceEvent:
    """A reserve credit, an issuance or a redemption."""

    id: str
    bank_code: str
    kind: str
    amount_tyiyn: int
    status: str
    created_at: str


@dataclass(frozen=True, slots=True)
class StatementEntry:
    """One ledger transfer touching a wallet, as its holder reads it."""

    transfer_id: str
    timestamp_ns: int
    kind: str
    direction: str
    amount_tyiyn: int
    benefit_scheme_id: str | None = None  # a movement of this benefit's balance, not the wallet's


@dataclass(frozen=True, slots=True)
class Page(Generic[_T]):
    """A page of results and the position after its last item (None: no more)."""

    items: Sequence[_T]
    next_after: int | None


def page_of(rows: Sequence[tuple[int, _T]], limit: int) -> Page[_T]:
    """A page from (seq, item) rows fetched with `limit`: a full page may have more after it."""
    return Page([item for _, item in rows], rows[-1][0] if rows and len(rows) == limit else None)


@dataclass(frozen=True, slots=True)
class BankIssuance:
    """One bank's line in the issuance summary or a daily report."""

    bank_code: str
    issued_tyiyn: int
    redeemed_tyiyn: int
    outstanding_tyiyn: int


@dataclass(frozen=True, slots=True)
class IssuanceSummary:
    """Right now: digital som in circulation against the central bank's liability, as the
    money auditor found it (every holding code of the chart), and the banks' issuance."""

    audit: Circulation
    banks: Sequence[BankIssuance]

    @property
    def circulation_tyiyn(self) -> int:
        """Digital som held, over every holding code."""
        return self.audit.circulation_tyiyn

    @property
    def issuance_liability_tyiyn(self) -> int:
        """The central bank's issuance liability."""
        return self.audit.issued_tyiyn

    @property
    def balanced(self) -> bool:
        """The money invariant holds."""
        return self.audit.balanced

    @property
    def floats_tyiyn(self) -> int:
        """The banks' floats."""
        return self.audit.held_tyiyn(FLOATS)

    @property
    def wallets_tyiyn(self) -> int:
        """The wallets."""
        return self.audit.held_tyiyn(WALLETS)

    @property
    def benefits_tyiyn(self) -> int:
        """The benefit accounts."""
        return self.audit.held_tyiyn(BENEFITS)


@dataclass(frozen=True, slots=True)
class DailyReport:
    """Per bank, what was issued and redeemed on `day` and what is outstanding at its end."""

    day: str
    banks: Sequence[BankIssuance]
    issued_tyiyn: int
    redeemed_tyiyn: int
    outstanding_tyiyn: int


@dataclass(frozen=True, slots=True)
class PublicAggregate:
    """What anyone may read: the published totals."""

    circulation_tyiyn: int
    wallets_open: int
    banks: int
    as_of: str


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One record of the ledger's hash-chained journal, as the auditor reads it."""

    seq: int
    prev_hash_hex: str
    hash_hex: str
    accounts_created: int
    transfers: int
    payload_hex: str
