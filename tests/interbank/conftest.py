"""Shared fixtures: the banks by role and one valid message of each kind."""

from __future__ import annotations

import pytest

from digisom.interbank.iso20022 import (
    AccountStatement,
    CreditTransferOrder,
    Notification,
    PaymentReturn,
    Priority,
    StatusReport,
    TransactionStatus,
)
from digisom.money import KGS, Money
from tests.interbank.samples import BUSINESS_DAY, COMMERCIAL_BANK, ENTRIES, NOW, OTHER_COMMERCIAL_BANK


@pytest.fixture
def credit_transfer() -> CreditTransferOrder:
    return CreditTransferOrder(
        message_id="COMMERCIAL-20261123-0001",
        created_at=NOW,
        instruction_id="INSTR-0001",
        end_to_end_id="E2E-PENSION-0001",
        debtor_agent=COMMERCIAL_BANK,
        creditor_agent=OTHER_COMMERCIAL_BANK,
        amount=Money(1_234_567_89, KGS),
        settlement_date=BUSINESS_DAY,
        priority=Priority.URGENT,
        debtor_name="Treasury",
        debtor_account="1180000000000001",
        creditor_name="Pensioner",
        creditor_account="1090000000000002",
    )


@pytest.fixture
def status_report() -> StatusReport:
    return StatusReport(
        message_id="RTGS-STS-0001",
        created_at=NOW,
        original_message_id="COMMERCIAL-20261123-0001",
        original_message_name="pacs.008.001.08",
        status=TransactionStatus.PENDING,
        original_end_to_end_id="E2E-PENSION-0001",
        original_instruction_id="INSTR-0001",
        reason_code="AM04",
        reason_detail="queued for liquidity",
    )


@pytest.fixture
def payment_return() -> PaymentReturn:
    return PaymentReturn(
        message_id="OTHER-RTR-0001",
        created_at=NOW,
        return_id="RTR-0001",
        original_message_id="COMMERCIAL-20261123-0001",
        original_message_name="pacs.008.001.08",
        original_end_to_end_id="E2E-PENSION-0001",
        returned_amount=Money(1_234_567_89, KGS),
        settlement_date=BUSINESS_DAY,
        returning_agent=OTHER_COMMERCIAL_BANK,
        receiving_agent=COMMERCIAL_BANK,
        reason_code="AC04",
        original_instruction_id="INSTR-0001",
    )


@pytest.fixture
def statement() -> AccountStatement:
    return AccountStatement(
        message_id="RTGS-STMT-0001",
        created_at=NOW,
        statement_id="STMT-118001-20261123",
        account="SETTLEMENT-118001",
        bank=COMMERCIAL_BANK,
        statement_date=BUSINESS_DAY,
        opening_balance=Money(1_000_00, KGS),
        closing_balance=Money(300_00, KGS),
        entries=ENTRIES,
    )


@pytest.fixture
def notification() -> Notification:
    return Notification(
        message_id="RTGS-NTF-0001",
        created_at=NOW,
        notification_id="NTF-118001-0001",
        account="SETTLEMENT-118001",
        bank=COMMERCIAL_BANK,
        entries=ENTRIES,
    )
