"""Taking in a payment order: which instruction a parsed message carries, and the RTGS's
own checks on it (participants, currency, business day, cut-off, returns).

Every refusal here is an `Iso20022Error` whose reason code the pacs.002 RJCT carries;
docs/interbank.md lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from sqlalchemy import Connection

from digisom.interbank import repository
from digisom.interbank.business_days import CalendarError
from digisom.interbank.context import RtgsContext
from digisom.interbank.iso20022 import (
    Agent,
    CreditTransferOrder,
    InboundMessage,
    Iso20022Error,
    MessageType,
    PaymentReturn,
    Priority,
    ReasonCode,
)
from digisom.interbank.records import Bank
from digisom.money import KGS

# The messages the RTGS settles; statements and status reports only ever go out.
PAYMENT_TYPES: Final = frozenset({MessageType.PACS_008, MessageType.PACS_009, MessageType.PACS_004})


@dataclass(frozen=True, slots=True)
class Instruction:
    """What a pacs.008, pacs.009 or pacs.004 asks the RTGS to settle."""

    message_type: MessageType
    message_id: str
    end_to_end_id: str
    instruction_id: str | None
    debtor: Agent  # the bank whose settlement account is debited
    creditor: Agent
    amount_tyiyn: int
    currency: str
    settlement_date: date
    priority: Priority
    return_of_end_to_end_id: str | None = None  # pacs.004: the returned payment
    debtor_name: str | None = None  # pacs.008: the customers (pacs.009: the banks' own names)
    creditor_name: str | None = None


def instruction(message: InboundMessage) -> Instruction:
    """The instruction in a parsed message, or FF01 for a type the RTGS does not take in."""
    body = message.body
    if message.message_type not in PAYMENT_TYPES:
        raise Iso20022Error(ReasonCode.INVALID_FILE_FORMAT,
                            f"the RTGS sends {message.message_type.value}, it does not take it in")
    if isinstance(body, CreditTransferOrder):
        return Instruction(message.message_type, body.message_id, body.end_to_end_id, body.instruction_id,
                           body.debtor_agent, body.creditor_agent, body.amount.amount_minor, body.amount.currency.code,
                           body.settlement_date, body.priority, debtor_name=body.debtor_name,
                           creditor_name=body.creditor_name)
    if isinstance(body, PaymentReturn):
        return Instruction(message.message_type, body.message_id, body.return_id, body.original_instruction_id,
                           body.returning_agent, body.receiving_agent, body.returned_amount.amount_minor,
                           body.returned_amount.currency.code, body.settlement_date, Priority.NORMAL,
                           return_of_end_to_end_id=body.original_end_to_end_id)
    raise Iso20022Error(ReasonCode.INVALID_FILE_FORMAT, f"{message.message_type.value} is not a payment")


def resolve(conn: Connection, agent: Agent) -> Bank | None:
    """The participant an agent names: by bank code, else by BIC; both must agree."""
    by_code = repository.get_bank(conn, agent.bank_code) if agent.bank_code else None
    by_bic = repository.bank_by_bic(conn, agent.bic) if agent.bic else None
    if by_code and by_bic and by_code != by_bic:
        return None
    return by_code or by_bic


def check_business(ctx: RtgsContext, order: Instruction, day: date, now: datetime, day_state: str | None) -> None:
    """The RTGS's checks: currency, business day, settlement date, cut-off, day still open."""
    if order.currency != KGS.code:
        raise Iso20022Error(ReasonCode.NOT_ALLOWED_CURRENCY, f"the RTGS settles KGS only, not {order.currency}")
    try:
        business_day = ctx.calendar.is_business_day(order.settlement_date)
    except CalendarError as error:
        raise Iso20022Error(ReasonCode.INVALID_DATE, str(error)) from None
    if not business_day:
        raise Iso20022Error(ReasonCode.INVALID_DATE, f"{order.settlement_date} is not a business day")
    if order.settlement_date != day:
        raise Iso20022Error(ReasonCode.INVALID_DATE,
                            f"settlement date {order.settlement_date} is not today's business day {day}")
    if day_state == "closed":
        raise Iso20022Error(ReasonCode.INVALID_CUT_OFF_TIME, f"business day {day} is closed")
    if not ctx.schedule.is_open_for(order.message_type, now):
        cutoff = ctx.schedule.cutoff(order.message_type).isoformat("minutes")
        opening = ctx.schedule.opening.isoformat("minutes")
        raise Iso20022Error(ReasonCode.INVALID_CUT_OFF_TIME,
                            f"{order.message_type.value} is taken {opening}-{cutoff} Bishkek time")


def check_return(conn: Connection, order: Instruction, debtor: Bank, creditor: Bank) -> int | None:
    """For a pacs.004: the seq of the returned payment (settled, creditor -> debtor), with
    no more returned than it moved; None for other messages."""
    if order.return_of_end_to_end_id is None:
        return None
    original = repository.settled_original(conn, creditor.bank_code, debtor.bank_code, order.return_of_end_to_end_id)
    if original is None:
        raise Iso20022Error(ReasonCode.TRANSACTION_FORBIDDEN,
                            f"no settled payment {order.return_of_end_to_end_id!r} from {creditor.bank_code}")
    if repository.returned_tyiyn(conn, original.seq) + order.amount_tyiyn > original.amount_tyiyn:
        raise Iso20022Error(ReasonCode.WRONG_AMOUNT, "the return exceeds what the original payment moved")
    return original.seq
