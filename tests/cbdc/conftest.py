"""Fixtures for the domain tests: the service on an in-memory ledger and a SQLite file
for the domain's tables, with the central bank, two banks and their operators."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine

from digisom.cbdc.context import Context
from digisom.cbdc.ledger_port import LedgerPort
from digisom.cbdc.migrations import migrate
from digisom.cbdc.model import HolderKind, MerchantProfile, ParticipantKind
from digisom.cbdc.policy import Policy, load_policy
from digisom.cbdc.ports import NO_HOLDER_SCREENING, HolderScreening
from digisom.cbdc.service import CbdcService
from digisom.kernel.access import Actor, Role
from digisom.kernel.clock import utc_now
from digisom.ledger.service import Ledger
from digisom.ledger.submitter import Submitter
from digisom.stores.memory import MemoryStore

CENTRAL_BANK = Actor(Role.CENTRAL_BANK_OPERATOR, "nbkr-operator")
COMMERCIAL_BANK = Actor(Role.BANK_OPERATOR, "ayil-teller", "AYIL")
SECOND_BANK = Actor(Role.BANK_OPERATOR, "bakai-teller", "BAKAI")
GROCERY = MerchantProfile("Naryn Grocery", "Naryn", "5411")


@dataclass
class Domain:
    """The service and what it was built on."""

    service: CbdcService
    engine: Engine
    store: MemoryStore

    def open(self, bank: Actor, holder: str, tier: int, merchant: bool = False) -> str:
        kind = HolderKind.MERCHANT if merchant else HolderKind.INDIVIDUAL
        wallet = self.service.open_wallet(bank, f"open-{holder}", holder, kind, tier, holder.title(), "+996700000001",
                                          "1234", GROCERY if merchant else None)
        return wallet.id

    def balanced(self) -> int:
        summary = self.service.issuance_summary()
        assert summary.circulation_tyiyn == summary.issuance_liability_tyiyn
        return summary.circulation_tyiyn


def build_domain(tmp_path: Path, policy: Policy | None = None, clock: Callable[[], datetime] = utc_now,
                 screening: HolderScreening = NO_HOLDER_SCREENING) -> tuple[Domain, Submitter]:
    engine = create_engine(f"sqlite:///{tmp_path / 'cbdc.db'}")
    migrate(engine)
    store = MemoryStore()
    submitter = Submitter(Ledger(store))
    ctx = Context(engine, LedgerPort(submitter, Ledger(store)), policy or load_policy(), screening, clock=clock)
    service = CbdcService(ctx)
    for pid, name, code in (("ayil-bank", "Ayil Bank", "AYIL"), ("bakai-bank", "Bakai Bank", "BAKAI")):
        service.register_participant(pid, ParticipantKind.COMMERCIAL_BANK, name, code)
        service.convert(CENTRAL_BANK, "reserve_credit", code, 100_000_000_00, f"reserves-{code}")
    return Domain(service, engine, store), submitter


@pytest.fixture
def domain(tmp_path: Path) -> Iterator[Domain]:
    built, submitter = build_domain(tmp_path)
    yield built
    submitter.close()
    built.engine.dispose()
