"""Invoices, payments and on-chain moves as the service hands them out (frozen records).

Amounts: the invoice's price is `amount_tyiyn` (som, integer). What the payer sends is
`pay_units`, the token's smallest unit (KGST: 2 decimals, 1 tyiyn = 1 unit at 1:1; USDKG:
6 decimals at the quoted rate, rounded up so the merchant never gets less)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Asset(StrEnum):
    """What an invoice can be paid in."""

    KGST = "KGST"
    USDKG = "USDKG"


class InvoiceStatus(StrEnum):
    """Where an invoice is. Values are stable (the table, the API, the payer's page)."""

    OPEN = "open"  # waiting for payment
    UNDERPAID = "underpaid"  # less than due received; the payer may top up before expiry
    PAID = "paid"  # due (or more) received, confirmed and screened clear: sweeping to the bridge
    SETTLING = "settling"  # the sweep to the redemption address is on chain; the bridge credits
    SETTLED = "settled"  # the merchant's wallet holds the som
    EXPIRED = "expired"  # nothing received before expiry
    REFUND_DUE = "refund_due"  # tokens received but not settleable (late, underpaid at expiry)
    REFUNDING = "refunding"  # the refund is on chain
    REFUNDED = "refunded"  # every unsettled token went back to its sender
    STOPPED = "stopped"  # the payer's address was stopped by screening: nothing moves
    FAILED = "failed"  # the bridge refused the credit: the tokens are at the redemption address

    @property
    def open_for_payment(self) -> bool:
        return self in (InvoiceStatus.OPEN, InvoiceStatus.UNDERPAID)


class MoveKind(StrEnum):
    """An on-chain move out of an invoice's address (an EIP-3009 authorization it signs)."""

    SWEEP = "sweep"  # the price to the bridge's redemption address
    REFUND = "refund"  # tokens back to the address that sent them
    PAYER = "payer"  # the payer's own authorization, submitted for them (gasless)


class MoveState(StrEnum):
    SIGNED = "signed"  # recorded before it is sent: a restart sends the same authorization
    SENT = "sent"
    CONFIRMED = "confirmed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Invoice:
    invoice_id: str
    merchant_id: str
    wallet_id: str
    bank_code: str
    amount_tyiyn: int
    asset: Asset
    chain_id: int
    token_address: str
    pay_address: str
    pay_units: int
    decimals: int
    rate_som_e6: int | None  # USDKG only: som per USD times 10^6
    description: str
    created_at: str
    expires_at: str
    status: InvoiceStatus
    reason: str
    received_units: int
    settled_tyiyn: int
    refunded_units: int
    updated_at: str


@dataclass(frozen=True, slots=True)
class Payment:
    """One confirmed transfer of the invoice's token to its address."""

    invoice_id: str
    tx_hash: str
    log_index: int
    block_number: int
    sender: str
    amount_units: int
    seen_at: str
    late: bool
    screening: str  # clear | hit | review | "" (not screened yet)
    reason: str

    @property
    def payment_id(self) -> str:
        return f"{self.tx_hash}:{self.log_index}"


@dataclass(frozen=True, slots=True)
class Move:
    move_id: str
    invoice_id: str
    kind: MoveKind
    source: str
    to: str
    amount_units: int
    nonce: str
    valid_after: int
    valid_before: int
    signature: str
    state: MoveState
    tx_hash: str
    reason: str
    updated_at: str = ""  # when it was last sent (or recorded)


@dataclass(frozen=True, slots=True)
class InvoiceDetail:
    """An invoice with its payments (chain order) and moves (oldest first), as read together."""

    invoice: Invoice
    payments: list[Payment]
    moves: list[Move]


@dataclass(frozen=True, slots=True)
class Transfer:
    """A confirmed `Transfer(source, to, value)` of a listed token (from the follower)."""

    tx_hash: str
    log_index: int
    block_number: int
    source: str
    to: str
    amount_units: int
