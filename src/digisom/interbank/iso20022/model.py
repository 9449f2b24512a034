"""Domain values carried by the ISO 20022 messages: frozen, typed, money in minor units."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from digisom.interbank.iso20022.registry import MessageType
from digisom.interbank.priority import Priority
from digisom.money import Money

__all__ = [
    "AccountStatement",
    "Agent",
    "CreditDebit",
    "CreditTransferOrder",
    "InboundMessage",
    "MessageBody",
    "Notification",
    "PaymentReturn",
    "PostalAddress",
    "Priority",
    "StatementEntry",
    "StatusReport",
    "TransactionStatus",
    "entries_total_minor",
]


class TransactionStatus(StrEnum):
    """The pacs.002 transaction statuses this system sends and understands."""

    SETTLED = "ACSC"  # AcceptedSettlementCompleted
    REJECTED = "RJCT"
    PENDING = "PDNG"  # queued for liquidity


class CreditDebit(StrEnum):
    """The side of an account entry."""

    CREDIT = "CRDT"
    DEBIT = "DBIT"


@dataclass(frozen=True, slots=True)
class Agent:
    """A bank: its BIC and/or its national bank code (ClrSysMmbId/MmbId); at least one."""

    bic: str | None = None
    bank_code: str | None = None


@dataclass(frozen=True, slots=True)
class PostalAddress:
    """A party's postal address (PostalAddress24, the parts this system reads)."""

    country: str | None = None
    town_name: str | None = None
    street_name: str | None = None
    building_number: str | None = None
    building_name: str | None = None
    post_code: str | None = None
    country_sub_division: str | None = None
    address_lines: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CreditTransferOrder:
    """One interbank credit transfer (pacs.008 for a customer payment, pacs.009 bank to bank).

    For pacs.009 the debtor and creditor are the banks themselves: `debtor_agent` is the
    Dbtr and `debtor_name` its FinInstnId/Nm (likewise for the creditor).
    """

    message_id: str
    created_at: datetime
    instruction_id: str | None
    end_to_end_id: str
    debtor_agent: Agent
    creditor_agent: Agent
    amount: Money
    settlement_date: date
    priority: Priority
    debtor_name: str | None = None
    debtor_account: str | None = None
    creditor_name: str | None = None
    creditor_account: str | None = None
    # pacs.008 only: the parties' postal addresses and the unstructured remittance information.
    debtor_address: PostalAddress | None = None
    creditor_address: PostalAddress | None = None
    remittance_information: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StatusReport:
    """A pacs.002 about one earlier message (and, when ids are given, one transaction in it)."""

    message_id: str
    created_at: datetime
    original_message_id: str
    original_message_name: str  # OrgnlMsgNmId, e.g. "pacs.008.001.08", or "NOTPROVIDED"
    status: TransactionStatus
    original_end_to_end_id: str | None = None
    original_instruction_id: str | None = None
    reason_code: str | None = None  # ExternalStatusReason1Code, e.g. "AM04"
    reason_detail: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentReturn:
    """A pacs.004: `returning_agent` pays `returned_amount` back to `receiving_agent`."""

    message_id: str
    created_at: datetime
    return_id: str
    original_message_id: str
    original_message_name: str
    original_end_to_end_id: str
    returned_amount: Money
    settlement_date: date
    returning_agent: Agent
    receiving_agent: Agent
    reason_code: str | None = None  # ExternalReturnReason1Code, e.g. "AC04"
    original_instruction_id: str | None = None


@dataclass(frozen=True, slots=True)
class StatementEntry:
    """One booked movement on a settlement account; `amount` is positive."""

    amount: Money
    credit_debit: CreditDebit
    booking_date: date
    end_to_end_id: str | None = None
    reference: str | None = None  # AcctSvcrRef: the settlement system's own reference


@dataclass(frozen=True, slots=True)
class AccountStatement:
    """A camt.053 for one bank's settlement account and one business day.

    Balances are signed (negative = debit balance); closing = opening + credits - debits.
    """

    message_id: str
    created_at: datetime
    statement_id: str
    account: str
    bank: Agent
    statement_date: date
    opening_balance: Money
    closing_balance: Money
    entries: tuple[StatementEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class Notification:
    """A camt.054: debits and credits on one bank's settlement account, as they happen."""

    message_id: str
    created_at: datetime
    notification_id: str
    account: str
    bank: Agent
    entries: tuple[StatementEntry, ...]


def entries_total_minor(entries: tuple[StatementEntry, ...]) -> int:
    """Credits minus debits of `entries`, in minor units."""
    return sum(
        e.amount.amount_minor if e.credit_debit is CreditDebit.CREDIT else -e.amount.amount_minor for e in entries
    )


MessageBody = CreditTransferOrder | StatusReport | PaymentReturn | AccountStatement | Notification


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A parsed, validated inbound message: its type and its domain value."""

    message_type: MessageType
    body: MessageBody
