"""The remittance domain's data: partners, corridors, quotes and remittances (frozen),
and the stable codes of their states and of the reasons a remittance is returned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class PartnerKind(StrEnum):
    """What a foreign partner is licensed as."""

    MONEY_TRANSFER_OPERATOR = "mto"
    EXCHANGE = "exchange"


@dataclass(frozen=True, slots=True)
class Partner:
    """A foreign partner onboarded by `bank_code`, paying out of its prefunded position;
    `month_limit_tyiyn` caps what it may pay out in one calendar month (UTC)."""

    partner_id: str
    name: str
    kind: PartnerKind
    country: str
    bank_code: str
    position_account_id: int
    month_limit_tyiyn: int
    active: bool = True


@dataclass(frozen=True, slots=True)
class Corridor:
    """What a partner may send from one source currency: fees (fixed in minor units of the
    currency, plus basis points of the amount sent), the FX margin in basis points under the
    reference rate, and limits in minor units of the currency."""

    corridor_id: str
    partner_id: str
    currency: str
    fee_fixed_minor: int
    fee_bps: int
    fx_margin_bps: int
    transfer_max_minor: int
    sender_month_max_minor: int


@dataclass(frozen=True, slots=True)
class Quote:
    """One conversion, shown before sending: the sender pays `send_minor + fees_minor`;
    `send_minor` is converted at `applied_e6` (the reference rate `reference_e6` less the
    margin) into `receive_tyiyn`. `fx_margin_minor` is what the margin costs, valued at the
    reference rate (rounded up); `all_in_cost_ppm` is everything paid minus what arrives,
    valued at the reference rate, in millionths of `send_minor` (World Bank RPW)."""

    quote_id: str
    partner_id: str
    corridor_id: str
    currency: str
    send_minor: int
    fee_fixed_minor: int
    fee_pct_minor: int
    fx_margin_minor: int
    reference_e6: int
    applied_e6: int
    rate_date: str
    receive_tyiyn: int
    usd_equivalent_cents: int
    all_in_cost_ppm: int
    created_at: datetime
    expires_at: datetime

    @property
    def fees_minor(self) -> int:
        """Every fee the sender pays on top of the amount sent."""
        return self.fee_fixed_minor + self.fee_pct_minor

    @property
    def pay_minor(self) -> int:
        """What the sender pays in all."""
        return self.send_minor + self.fees_minor


class Status(StrEnum):
    """Where a remittance is. Values are stable (tables, reports, the API)."""

    PAYING = "paying"  # recorded, its ledger chain on the way
    PENDING_REVIEW = "pending_review"  # screening said review: nothing moves until cleared
    PAID = "paid"
    RETURNED = "returned"  # refused: nothing moved, the money stays in the partner's position


class ReturnReason(StrEnum):
    """Why a remittance was returned. Values are stable (tables, the partner's API)."""

    SCREENING_HIT = "screening_hit"
    REVIEW_BLOCKED = "review_blocked"
    TRANSFER_LIMIT = "transfer_limit"
    SENDER_MONTH_LIMIT = "sender_month_limit"
    PARTNER_MONTH_LIMIT = "partner_month_limit"
    POSITION_INSUFFICIENT = "position_insufficient"
    PARTNER_INACTIVE = "partner_inactive"
    RECIPIENT_UNKNOWN = "recipient_unknown"
    WALLET_FROZEN = "wallet_frozen"
    WALLET_CLOSED = "wallet_closed"
    LEDGER_REFUSED = "ledger_refused"


class Channel(StrEnum):
    """Where a payout lands."""

    WALLET = "wallet"
    BANK_ACCOUNT = "bank_account"


@dataclass(frozen=True, slots=True)
class Remittance:
    """One remittance as recorded: who sent it through which partner, to whom, its quote,
    its state and (if returned) why."""

    remittance_id: str
    partner_id: str
    reference: str
    quote_id: str
    corridor_id: str
    sender_id: str
    sender_name: str
    recipient_name: str
    recipient_wallet_id: str
    recipient_personal_number: str
    send_minor: int
    receive_tyiyn: int
    month: str
    status: Status
    reason: str
    channel: str
    to_wallet_tyiyn: int
    waterfall_tyiyn: int
    to_bank_tyiyn: int
    travel_rule: str  # the IVMS101 payload as canonical JSON, or ""
    created_at: datetime
