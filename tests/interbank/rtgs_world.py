"""An RTGS on a real ledger store, driven by ISO 20022 messages, shared by the RTGS tests.

Banks by role: `commercial_bank` (DEMIKG22, 118001), `other_commercial_bank` (109001),
`third_commercial_bank` (128001). The clock is set by the test (Bishkek time).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time

from sqlalchemy import Engine, create_engine

from digisom.interbank.accounts import available
from digisom.interbank.context import RtgsContext
from digisom.interbank.iso20022 import (
    Agent,
    CreditTransferOrder,
    PaymentReturn,
    Priority,
    StatusReport,
    TransactionStatus,
    build_pacs004,
    build_pacs008,
    build_pacs009,
    parse_inbound,
)
from digisom.interbank.ports import PartyRole, PartyVerdict, ScreeningDecision
from digisom.interbank.rtgs import Rtgs
from digisom.interbank.schedule import BISHKEK
from digisom.ledger.service import Ledger
from digisom.money import KGS, Money
from digisom.stores.url import open_store

BUSINESS_DAY = date(2026, 11, 23)  # a Monday
COMMERCIAL_BANK = "118001"
OTHER_COMMERCIAL_BANK = "109001"
THIRD_COMMERCIAL_BANK = "128001"
BICS = {COMMERCIAL_BANK: "DEMIKG22", OTHER_COMMERCIAL_BANK: None, THIRD_COMMERCIAL_BANK: "KICBKG22"}


@dataclass
class Clock:
    """A settable clock."""

    now: datetime = field(default_factory=lambda: datetime.combine(BUSINESS_DAY, time(10, 0), BISHKEK))

    def __call__(self) -> datetime:
        return self.now

    def at(self, hour: int, minute: int = 0, day: date = BUSINESS_DAY) -> None:
        self.now = datetime.combine(day, time(hour, minute), BISHKEK)


@dataclass
class FakeParties:
    """`PartyScreening` deciding by name: listed names are hits, watched names reviews."""

    hits: set[str] = field(default_factory=set)
    reviews: set[str] = field(default_factory=set)
    screened: list[tuple[str, PartyRole]] = field(default_factory=list)

    def screen_party(self, name: str, role: PartyRole) -> PartyVerdict:
        self.screened.append((name, role))
        number = len(self.screened)
        if name in self.hits:
            return PartyVerdict(ScreeningDecision.HIT, f"screening:{number} listed")
        if name in self.reviews:
            return PartyVerdict(ScreeningDecision.REVIEW, f"screening:{number} close to a listed name")
        return PartyVerdict(ScreeningDecision.CLEAR, f"screening:{number} clear")


def domain_engine(url: str) -> Engine:
    """SQLAlchemy on the ledger's database."""
    if url.startswith("sqlite:///"):
        return create_engine(url)
    return create_engine("postgresql+psycopg://" + url.split("://", 1)[1])


@dataclass
class RtgsWorld:
    """The RTGS, its ledger, a clock and a message counter."""

    rtgs: Rtgs
    ledger: Ledger
    clock: Clock
    parties: FakeParties = field(default_factory=FakeParties)
    _ids: Iterator[int] = field(default_factory=itertools.count)

    @classmethod
    def open(cls, url: str) -> RtgsWorld:
        ledger = Ledger(open_store(url))
        clock = Clock()
        parties = FakeParties()  # every pacs.008 is screened; nothing listed unless a test lists it
        rtgs = Rtgs(RtgsContext(engine=domain_engine(url), ledger=ledger, clock=clock, screening=parties))
        world = cls(rtgs, ledger, clock, parties)
        for code in (COMMERCIAL_BANK, OTHER_COMMERCIAL_BANK, THIRD_COMMERCIAL_BANK):
            rtgs.register_bank(code, f"bank {code}", BICS[code])
        return world

    def close(self) -> None:
        self.ledger.store.close()
        self.rtgs.ctx.engine.dispose()

    def order(self, sender: str, receiver: str, amount_tyiyn: int, *, priority: Priority = Priority.NORMAL,
              e2e: str | None = None, day: date = BUSINESS_DAY) -> CreditTransferOrder:
        n = next(self._ids)
        return CreditTransferOrder(
            message_id=f"MSG-{sender}-{n:05d}", created_at=self.clock(), instruction_id=f"INSTR-{n:05d}",
            end_to_end_id=e2e or f"E2E-{sender}-{n:05d}", debtor_agent=Agent(bank_code=sender),
            creditor_agent=Agent(bank_code=receiver), amount=Money(amount_tyiyn, KGS), settlement_date=day,
            priority=priority, debtor_name="Treasury", creditor_name="Pensioner",
        )

    def pacs008(self, sender: str, receiver: str, amount_tyiyn: int, **kwargs: object) -> bytes:
        return build_pacs008(self.order(sender, receiver, amount_tyiyn, **kwargs))  # type: ignore[arg-type]

    def pacs009(self, sender: str, receiver: str, amount_tyiyn: int) -> bytes:
        return build_pacs009(self.order(sender, receiver, amount_tyiyn))

    def cash(self, bank: str) -> int:
        return self.rtgs.liquidity(bank)[0]

    def total_cash(self) -> int:
        banks = [self.rtgs.bank(c) for c in (COMMERCIAL_BANK, OTHER_COMMERCIAL_BANK, THIRD_COMMERCIAL_BANK)]
        return sum(available(a) for a in self.ledger.lookup_accounts([b.settlement_account_id for b in banks]))


def status_of(xml: bytes) -> StatusReport:
    """The pacs.002 answered."""
    body = parse_inbound(xml).body
    assert isinstance(body, StatusReport)
    return body


SETTLED, PENDING, REJECTED = TransactionStatus.SETTLED, TransactionStatus.PENDING, TransactionStatus.REJECTED


def payment_xml(sender: str, receiver: str, amount_tyiyn: int, number: int, e2e: str | None = None) -> bytes:
    """A pacs.008 for the business day, without a world (API and CLI tests)."""
    return build_pacs008(CreditTransferOrder(
        message_id=f"MSG-{sender}-{number}", created_at=Clock()(), instruction_id=None,
        end_to_end_id=e2e or f"E2E-{sender}-{number}", debtor_agent=Agent(bank_code=sender),
        creditor_agent=Agent(bank_code=receiver), amount=Money(amount_tyiyn, KGS), settlement_date=BUSINESS_DAY,
        priority=Priority.NORMAL, debtor_name="Naryn Grocery", creditor_name="Pension Fund",
    ))


def return_xml(world: RtgsWorld, returning: str, receiving: str, amount_tyiyn: int, original_e2e: str) -> bytes:
    """A pacs.004 by which `returning` pays back (part of) a payment it received."""
    n = next(world._ids)
    return build_pacs004(PaymentReturn(
        message_id=f"RTN-{returning}-{n:05d}", created_at=world.clock(), return_id=f"RTR-{n:05d}",
        original_message_id="NOTPROVIDED", original_message_name="pacs.008.001.08",
        original_end_to_end_id=original_e2e, returned_amount=Money(amount_tyiyn, KGS), settlement_date=BUSINESS_DAY,
        returning_agent=Agent(bank_code=returning), receiving_agent=Agent(bank_code=receiving), reason_code="AC04",
    ))
