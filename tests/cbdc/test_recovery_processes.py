"""Start-up recovery while another process serves (issue 14, many processes): a process
that starts finishes what a crash left pending, but a payment or an issuance another
process is finishing right now is waited for and then left alone, never finished twice.

Two contexts on one PostgreSQL database stand for two processes (advisory locks belong
to database sessions). The first holds a row's locks mid-flight, as the live path does;
the ledger refuses the chain there and the row is recorded failed. The second's recovery
must wait for the locks, read the row again, and not submit its chain: before the fix it
applied the refused chain at once, so money moved for a payment recorded as failed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine

from digisom.cbdc import payments, repository, wallets
from digisom.cbdc.context import Context
from digisom.cbdc.errors import InsufficientFunds, failure_json
from digisom.cbdc.ids import public_id
from digisom.cbdc.ledger_port import LedgerPort
from digisom.cbdc.migrations import migrate
from digisom.cbdc.model import HolderKind, IssuanceEvent, ParticipantKind, Payment, PaymentKind
from digisom.cbdc.policy import load_policy
from digisom.cbdc.ports import NO_HOLDER_SCREENING
from digisom.cbdc.service import CbdcService
from digisom.ledger.service import Ledger
from digisom.ledger.submitter import Submitter
from digisom.stores.url import open_store
from tests.cbdc.conftest import CENTRAL_BANK, COMMERCIAL_BANK

pytestmark = pytest.mark.postgres

SOM = 100
WAITED_S = 1.0  # how long the second process must still be waiting for the held locks
FINISH_TIMEOUT_S = 30.0


class _Process:
    """What one API process opens on the database: its engine, ledger writer and reader."""

    def __init__(self, url: str) -> None:
        self._stores = [open_store(url), open_store(url)]
        self._engine = create_engine("postgresql+psycopg://" + url.split("://", 1)[1])
        migrate(self._engine)
        self._submitter = Submitter(Ledger(self._stores[0]))
        self.ctx = Context(self._engine, LedgerPort(self._submitter, Ledger(self._stores[1])), load_policy(),
                           NO_HOLDER_SCREENING)

    def close(self) -> None:
        self._submitter.close()
        for store in self._stores:
            store.close()
        self._engine.dispose()


@pytest.fixture
def first(postgres_url: str) -> Iterator[tuple[_Process, CbdcService]]:
    """The serving process, with two banks' reserves, issued digital som and two wallets."""
    process = _Process(postgres_url)
    service = CbdcService(process.ctx)
    service.register_participant("ayil-bank", ParticipantKind.COMMERCIAL_BANK, "Ayil Bank", "AYIL")
    service.convert(CENTRAL_BANK, "reserve_credit", "AYIL", 1_000_000 * SOM, "reserves")
    service.convert(COMMERCIAL_BANK, "issue", "AYIL", 100_000 * SOM, "issue")
    for holder in ("payer", "payee"):
        opened = service.open_wallet(COMMERCIAL_BANK, f"open-{holder}", holder, HolderKind.INDIVIDUAL, 2,
                                     holder.title(), "+996700000001", "1234", None)
        service.credit_deposit(COMMERCIAL_BANK, opened.id, 10_000 * SOM, f"deposit-{holder}")
    yield process, service
    process.close()


def _wallet_ids(service: CbdcService) -> tuple[str, str]:
    found = {w.holder_id: w.id for w in service.wallets(COMMERCIAL_BANK, 0, 10).items}
    return found["payer"], found["payee"]


class _Starting:
    """A second process starting in a thread (its recovery runs in `CbdcService`)."""

    def __init__(self, url: str) -> None:
        self._process = _Process(url)
        self._started: list[CbdcService] = []
        self._thread = threading.Thread(target=lambda: self._started.append(CbdcService(self._process.ctx)))
        self._thread.start()

    def still_waiting_after(self, wait_s: float) -> bool:
        self._thread.join(wait_s)
        return self._thread.is_alive()

    def finish(self) -> CbdcService:
        self._thread.join(FINISH_TIMEOUT_S)
        self._process.close()
        assert self._started, "the second process did not start"
        return self._started[0]


def test_recovery_leaves_alone_a_payment_another_process_is_finishing(
    first: tuple[_Process, CbdcService], postgres_url: str
) -> None:
    process, service = first
    ctx = process.ctx
    payer_id, payee_id = _wallet_ids(service)
    amount = 2_000 * SOM  # more than the payer's wallet holds: a top-up from its deposit
    circulation = service.issuance_summary().circulation_tyiyn
    payment_id = public_id("p", "op-mid-flight")

    with ctx.locks.hold(payer_id, payee_id):  # as `payments._execute` holds them, planning to finishing
        payer, payee = wallets.load(ctx, payer_id), wallets.load(ctx, payee_id)
        legs, topup, waterfall = payments.plan(ctx, payer, payee, amount, PaymentKind.P2P)
        pending = Payment(payment_id, PaymentKind.P2P, payer_id, payee_id, amount, 0, topup, waterfall, "pending",
                          None, None, ctx.now_iso(), None)
        with ctx.engine.begin() as conn:
            repository.insert_payment(conn, pending, "op-mid-flight", legs)
        starting = _Starting(postgres_url)
        waited = starting.still_waiting_after(WAITED_S)
        with ctx.engine.begin() as conn:  # the ledger refused the chain here: the row is recorded failed
            assert repository.finish_payment(conn, payment_id, failure_json(
                InsufficientFunds("refused by the ledger", account="wallet")))
    second = starting.finish()

    assert waited, "recovery went on while another process held the payment's locks"
    assert second.recovered == 0, "the payment was finished by two processes"
    with ctx.engine.connect() as conn:
        assert repository.get_payment(conn, payment_id).status == "failed"  # type: ignore[union-attr]
    payer_view, payee_view = service.wallet(COMMERCIAL_BANK, payer_id), service.wallet(COMMERCIAL_BANK, payee_id)
    assert (payer_view.balance_tyiyn, payer_view.linked_deposit_tyiyn) == (0, 10_000 * SOM), "the chain moved money"
    assert payee_view.balance_tyiyn == 0, "the refused chain was applied by the second process"
    assert service.issuance_summary().circulation_tyiyn == circulation


def test_recovery_leaves_alone_an_issuance_another_process_is_finishing(
    first: tuple[_Process, CbdcService], postgres_url: str
) -> None:
    process, service = first
    ctx = process.ctx
    before = service.issuance_summary()
    event_id = public_id("i", "op-issue-mid-flight")

    with ctx.issuance_locks.hold(event_id):  # as `issuance.convert` holds it, recording to finishing
        with ctx.engine.begin() as conn:
            repository.insert_event(conn, IssuanceEvent(event_id, "AYIL", "issue", 5_000 * SOM, "pending",
                                                         ctx.now_iso()), "op-issue-mid-flight", "2026-12-07")
        starting = _Starting(postgres_url)
        waited = starting.still_waiting_after(WAITED_S)
        with ctx.engine.begin() as conn:  # the ledger refused the chain here: the event is recorded failed
            repository.finish_event(conn, event_id, failure_json(
                InsufficientFunds("refused by the ledger", account="bank reserve account")))
    second = starting.finish()

    assert waited, "recovery went on while another process held the event's lock"
    assert second.recovered == 0, "the issuance was finished by two processes"
    with ctx.engine.connect() as conn:
        assert repository.get_event(conn, event_id).status == "failed"  # type: ignore[union-attr]
    after = service.issuance_summary()
    assert after.circulation_tyiyn == before.circulation_tyiyn, "the refused issuance was applied"
    assert after.circulation_tyiyn == after.issuance_liability_tyiyn
