"""The remittance domain on the digital som: a cbdc service on an in-memory ledger, the
remittance service wired to it as the API would wire it, a rates file, a fake screener,
and a partner (a Moscow money-transfer operator onboarded by a Kyrgyz bank) with its
corridors and a prefunded position."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from digisom.api.money import MONEY_CHART
from digisom.api.remittance_wiring import build_remittance
from digisom.kernel.circulation import Circulation, audit_ledger
from digisom.ledger.service import Ledger
from digisom.ledger.submitter import Submitter
from digisom.remittance.model import Corridor, PartnerKind
from digisom.remittance.ports import Decision, Screening
from digisom.remittance.rates import FileRates
from digisom.remittance.service import RemittanceService, SendRequest, Settings
from tests.cbdc.conftest import CENTRAL_BANK, COMMERCIAL_BANK, Domain, build_domain

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
PARTNER = "zolotaya-mto"
PREFUND_TYIYN = 50_000_000_00  # 50 million som
PARTNER_MONTH_LIMIT_TYIYN = 40_000_000_00
RATES_CSV = "date,currency,rate\n2026-12-07,USD,87.4500\n2026-12-07,RUB,1.0895\n2026-12-07,KZT,0.1690\n"
RUB_CORRIDOR = Corridor("zolotaya-rub", PARTNER, "RUB", 0, 30, 50, 300_000_00, 1_000_000_00)


@dataclass
class Clock:
    """A clock the test moves."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class FakeScreener:
    """`Screener` deciding by name: listed names are hits, watched names go to review."""

    hits: set[str] = field(default_factory=set)
    reviews: set[str] = field(default_factory=set)
    screened: list[tuple[str, str]] = field(default_factory=list)

    def screen(self, name: str, schema: str) -> Screening:
        self.screened.append((name, schema))
        if name in self.hits:
            return Screening(Decision.HIT, f"listed: {name}")
        if name in self.reviews:
            return Screening(Decision.REVIEW, f"close to a listed name: {name}")
        return Screening(Decision.CLEAR)

    def screen_address(self, address: str, window: Sequence[tuple[str, str]] = ()) -> Screening:
        if address in self.hits:
            return Screening(Decision.HIT, f"listed: {address}")
        exposed = any(to == address.lower() and source in {h.lower() for h in self.hits} for source, to in window)
        return Screening(Decision.REVIEW if exposed else Decision.CLEAR, "received from a listed address" * exposed)


@dataclass
class World:
    """Both services and what they were built on."""

    cbdc: Domain
    submitter: Submitter
    reader: Ledger
    remit: RemittanceService
    screener: FakeScreener
    clock: Clock
    seq: int = 0

    def wallet(self, holder: str, tier: int = 1) -> str:
        return self.cbdc.open(COMMERCIAL_BANK, holder, tier)

    def balance(self, account_id: int) -> int:
        found = self.reader.lookup_accounts([account_id])
        return found[0].credits_posted - found[0].debits_posted if found else 0

    def request(self, quote_id: str, reference: str | None = None, **overrides: Any) -> SendRequest:
        self.seq += 1
        values: dict[str, Any] = {"partner_id": PARTNER, "reference": reference or f"ref-{self.seq}",
                                  "quote_id": quote_id, "sender_id": "migrant-1", "sender_name": "Aibek Asanov",
                                  "recipient_name": "Gulnara Asanova"}
        return SendRequest(**(values | overrides))

    def circulation(self) -> Circulation:
        return audit_ledger(MONEY_CHART, self.reader)


def build_world(tmp_path: Path, settings: Settings | None = None) -> World:
    clock = Clock()
    cbdc, submitter = build_domain(tmp_path, clock=clock)
    cbdc.service.convert(CENTRAL_BANK, "issue", "AYIL", 60_000_000_00, "issue-ayil")
    rates_file = tmp_path / "rates.csv"
    rates_file.write_text(RATES_CSV)
    reader = Ledger(cbdc.store)
    screener = FakeScreener()
    remit = build_remittance(cbdc.engine, submitter, reader, cbdc.service.ctx, FileRates.from_path(rates_file),
                             screener, settings or Settings(), clock)
    remit.onboard_partner(PARTNER, "Zolotaya Korona MTO", PartnerKind.MONEY_TRANSFER_OPERATOR, "RU", "AYIL",
                          PARTNER_MONTH_LIMIT_TYIYN)
    remit.configure_corridor(RUB_CORRIDOR)
    remit.prefund(PARTNER, "prefund-1", PREFUND_TYIYN)
    return World(cbdc, submitter, reader, remit, screener, clock)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    built = build_world(tmp_path)
    yield built
    built.submitter.close()
    built.cbdc.engine.dispose()
