"""The RTGS's outbound messages as domain values and bytes: pacs.002 status reports and
camt.054 notifications (validated against their XSDs by the builders)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from digisom.interbank.context import RtgsContext
from digisom.interbank.iso20022 import (
    Agent,
    CreditDebit,
    Notification,
    StatementEntry,
    StatusReport,
    TransactionStatus,
    build_camt054,
    build_pacs002,
)
from digisom.interbank.records import Bank, PaymentRecord
from digisom.money import KGS, Money


def bank_agent(bank: Bank) -> Agent:
    """How messages name `bank`: its BIC and its bank code."""
    return Agent(bic=bank.bic, bank_code=bank.bank_code)


def account_identifier(account_id: int) -> str:
    """A settlement account as statements name it: the ledger id in hex (32 characters)."""
    return f"{account_id:032x}"


def status_report(
    ctx: RtgsContext, payment: PaymentRecord, status: TransactionStatus, reason_code: str | None = None,
    detail: str | None = None,
) -> tuple[str, bytes]:
    """(message id, pacs.002) telling the debtor bank where `payment` stands."""
    message_id = ctx.new_message_id("STS")
    report = StatusReport(
        message_id=message_id, created_at=ctx.clock(), original_message_id=payment.message_id,
        original_message_name=payment.message_type, status=status, original_end_to_end_id=payment.end_to_end_id,
        original_instruction_id=payment.instruction_id, reason_code=reason_code, reason_detail=detail,
    )
    return message_id, build_pacs002(report, ctx.registry)


def entry(amount_tyiyn: int, side: CreditDebit, day: date, end_to_end_id: str | None, reference: str) -> StatementEntry:
    """One booked movement on a settlement account."""
    return StatementEntry(Money(amount_tyiyn, KGS), side, day, end_to_end_id, reference)


def notification(ctx: RtgsContext, bank: Bank, entries: Sequence[StatementEntry]) -> tuple[str, bytes]:
    """(message id, camt.054) notifying `entries` on `bank`'s settlement account."""
    message_id = ctx.new_message_id("NTF")
    value = Notification(
        message_id=message_id, created_at=ctx.clock(), notification_id=message_id,
        account=account_identifier(bank.settlement_account_id), bank=bank_agent(bank), entries=tuple(entries),
    )
    return message_id, build_camt054(value, ctx.registry)
