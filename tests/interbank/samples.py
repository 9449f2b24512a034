"""Sample values by role, shared by the interbank tests."""

from __future__ import annotations

from datetime import UTC, date, datetime

from digisom.interbank.iso20022 import Agent, CreditDebit, StatementEntry
from digisom.money import KGS, Money

BUSINESS_DAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
CENTRAL_BANK = Agent(bic="NBKRKG22")
COMMERCIAL_BANK = Agent(bic="DEMIKG22", bank_code="118001")
OTHER_COMMERCIAL_BANK = Agent(bank_code="109001")

ENTRIES = (
    StatementEntry(Money(500_00, KGS), CreditDebit.CREDIT, BUSINESS_DAY, "E2E-MERCHANT-1", "RTGS-REF-1"),
    StatementEntry(Money(1_200_00, KGS), CreditDebit.DEBIT, BUSINESS_DAY, None, "RTGS-REF-2"),
)
