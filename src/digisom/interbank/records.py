"""The RTGS's records: frozen dataclasses, amounts in integer tyiyn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from digisom.interbank.priority import Priority


class PaymentStatus(StrEnum):
    """Where a payment stands: waiting for liquidity, settled on the ledger, or refused."""

    QUEUED = "queued"
    SETTLED = "settled"
    REJECTED = "rejected"


@dataclass(frozen=True, slots=True)
class Bank:
    """A participant of the RTGS and its two ledger accounts."""

    bank_code: str
    bic: str | None
    name: str
    settlement_account_id: int
    credit_line_account_id: int


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    """A payment the RTGS accepted (pacs.008, pacs.009 or pacs.004) and its status."""

    seq: int
    message_id: str
    message_type: str
    end_to_end_id: str
    instruction_id: str | None
    debtor_bank: str
    creditor_bank: str
    amount_tyiyn: int
    priority: Priority
    business_date: date
    arrival_s: int
    status: PaymentStatus
    attempt: int
    reason_code: str | None = None


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """An ISO 20022 message the RTGS received ('in') or sent ('out'), as bytes."""

    seq: int
    direction: str
    bank_code: str
    message_id: str
    message_type: str
    business_date: date
    xml: bytes


@dataclass(frozen=True, slots=True)
class BankDayResult:
    """One bank's end of day: intraday credit repaid or left unpaid (flagged), payments
    rejected, and its statement."""

    bank_code: str
    credit_drawn_tyiyn: int
    credit_repaid_tyiyn: int
    credit_unpaid_tyiyn: int
    rejected_payments: int
    opening_balance_tyiyn: int
    closing_balance_tyiyn: int
    statement_message_id: str

    @property
    def flagged(self) -> bool:
        """Intraday credit not repaid: the central bank's overnight procedure takes over."""
        return self.credit_unpaid_tyiyn > 0


@dataclass(frozen=True, slots=True)
class DayReport:
    """What end of day did for one business day."""

    business_date: date
    settled_by_final_lsm: int
    rejected: int
    banks: tuple[BankDayResult, ...]


class StopStatus(StrEnum):
    """What screening did to a pacs.008 it did not clear. Values are stable (the table, the API)."""

    REFUSED = "refused"  # a hit: answered RJCT (RR04), never queued
    HELD = "held_for_screening"  # a review: out of the queue until an officer decides
    RELEASED = "released"  # cleared: taken in as if just submitted
    REJECTED = "rejected"  # confirmed: answered RJCT (RR04)


@dataclass(frozen=True, slots=True)
class ScreeningStop:
    """A pacs.008 stopped by screening: the parties' decisions and where it stands."""

    seq: int
    bank_code: str  # the debtor agent, which sent it
    message_id: str
    end_to_end_id: str
    settlement_date: date
    amount_tyiyn: int
    debtor_name: str
    creditor_name: str
    debtor_decision: str
    debtor_reason: str
    creditor_decision: str
    creditor_reason: str
    status: StopStatus
    officer: str | None
    payment_seq: int | None
    xml: bytes
