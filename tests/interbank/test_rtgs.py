"""The RTGS through the ledger, on SQLite and PostgreSQL: settlement, cover enforced by the
ledger, the gridlock the LSM resolves, intraday credit, duplicates, cut-offs, end of day."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from digisom.interbank import repository
from digisom.interbank.chains import payment_legs
from digisom.interbank.context import RtgsContext
from digisom.interbank.iso20022 import ReasonCode, parse_inbound
from digisom.interbank.lsm import GROSS_RULES
from digisom.interbank.records import PaymentStatus
from digisom.interbank.rtgs import Rtgs
from digisom.ledger.model import Account, Transfer
from digisom.ledger.results import CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.stores.url import open_store
from tests.interbank.rtgs_world import (
    BUSINESS_DAY,
    COMMERCIAL_BANK,
    OTHER_COMMERCIAL_BANK,
    PENDING,
    REJECTED,
    SETTLED,
    THIRD_COMMERCIAL_BANK,
    RtgsWorld,
    domain_engine,
    return_xml,
    status_of,
)

A, B, C = COMMERCIAL_BANK, OTHER_COMMERCIAL_BANK, THIRD_COMMERCIAL_BANK


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RtgsWorld]:
    url = f"sqlite:///{tmp_path / 'rtgs.db'}" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    built = RtgsWorld.open(url)
    yield built
    built.close()


def test_a_covered_payment_settles_on_the_ledger(world: RtgsWorld) -> None:
    world.rtgs.fund(A, 1_000_00, "opening-reserves")
    answer = world.rtgs.submit(world.pacs008(A, B, 400_00), sender_bank=A)
    assert answer.status is SETTLED and status_of(answer.xml).original_end_to_end_id
    assert (world.cash(A), world.cash(B)) == (600_00, 400_00)
    sent = world.rtgs.messages(B, 0, 50)
    assert {m.message_type for m in sent} == {"pacs.008.001.08", "camt.054.001.08"}, "forwarded and notified"


def test_without_cover_it_queues_and_nothing_moves(world: RtgsWorld) -> None:
    world.rtgs.fund(A, 100_00, "opening-reserves")
    answer = world.rtgs.submit(world.pacs008(A, B, 400_00))
    assert answer.status is PENDING
    assert (world.cash(A), world.cash(B)) == (100_00, 0)
    world.rtgs.fund(A, 300_00, "more-reserves")
    assert world.rtgs.run_lsm() == 1
    assert (world.cash(A), world.cash(B)) == (0, 400_00)


class _Optimist:
    """A ledger gateway that reports every settlement account richer than it is: the engine
    is misled; the ledger must still refuse."""

    def __init__(self, world: RtgsWorld) -> None:
        self._ledger = world.ledger
        self._inflated = {world.rtgs.bank(code).settlement_account_id for code in (A, B, C)}

    def lookup_accounts(self, ids: Sequence[int]) -> list[Account]:
        return [a._replace(credits_posted=a.credits_posted + 10**9) if a.id in self._inflated else a
                for a in self._ledger.lookup_accounts(ids)]

    def __getattr__(self, name: str) -> object:
        return getattr(self._ledger, name)


def test_the_ledger_refuses_what_the_engine_wrongly_thinks_is_covered(world: RtgsWorld) -> None:
    misled = Rtgs(replace(world.rtgs.ctx, ledger=_Optimist(world)))  # type: ignore[arg-type]
    world.rtgs.fund(A, 50_00, "reserves")
    answer = misled.submit(world.pacs008(A, B, 400_00))
    assert answer.status is PENDING, "the ledger refused the chain: queued, not settled"
    assert (world.cash(A), world.cash(B)) == (50_00, 0)
    [payment] = world.rtgs.payments(BUSINESS_DAY)
    assert payment.status is PaymentStatus.QUEUED and payment.attempt == 1, "retried later under new ids"


def _gridlock(world: RtgsWorld) -> None:
    for bank in (A, B, C):
        world.rtgs.fund(bank, 10_00, f"reserves-{bank}")
    for sender, receiver in ((A, B), (B, C), (C, A)):
        assert world.rtgs.submit(world.pacs008(sender, receiver, 100_00)).status is PENDING


def test_a_gridlock_settles_fully_with_the_lsm_through_the_ledger(world: RtgsWorld) -> None:
    _gridlock(world)
    assert world.rtgs.run_lsm() == 3
    assert [world.cash(bank) for bank in (A, B, C)] == [10_00, 10_00, 10_00]
    assert {p.status for p in world.rtgs.payments(BUSINESS_DAY)} == {PaymentStatus.SETTLED}


def test_the_same_gridlock_never_settles_gross_and_is_rejected_at_end_of_day(world: RtgsWorld) -> None:
    gross = Rtgs(replace(world.rtgs.ctx, rules=GROSS_RULES))
    world.rtgs = gross
    _gridlock(world)
    assert gross.run_lsm() == 0
    world.clock.at(17, 30)
    report = gross.end_of_day()
    assert report.rejected == 3
    assert [world.cash(bank) for bank in (A, B, C)] == [10_00, 10_00, 10_00]
    rejections = [status_of(m.xml) for m in gross.messages(A, 0, 50, "pacs.002.001.10")]
    assert [(r.status, r.reason_code) for r in rejections][-1] == (REJECTED, ReasonCode.INSUFFICIENT_FUNDS.value)


def test_intraday_credit_covers_a_payment_and_is_repaid_or_flagged(world: RtgsWorld) -> None:
    world.rtgs.fund(A, 100_00, "reserves")
    world.rtgs.pledge_collateral(A, 500_00, "bonds-2026-11-23")
    assert world.rtgs.submit(world.pacs009(A, B, 400_00)).status is SETTLED
    assert world.rtgs.liquidity(A) == (0, 200_00)  # 300 drawn
    assert world.rtgs.submit(world.pacs009(B, A, 100_00)).status is SETTLED
    world.clock.at(17, 5)
    report = {r.bank_code: r for r in world.rtgs.end_of_day().banks}
    assert (report[A].credit_drawn_tyiyn, report[A].credit_repaid_tyiyn, report[A].credit_unpaid_tyiyn) == (
        300_00, 100_00, 200_00)
    assert report[A].flagged and not report[B].flagged


def test_duplicates_get_the_original_status_and_settle_once(world: RtgsWorld) -> None:
    world.rtgs.fund(A, 1_000_00, "reserves")
    message = world.pacs008(A, B, 100_00, e2e="E2E-PENSION-1")
    assert world.rtgs.submit(message).status is SETTLED
    again = world.rtgs.submit(message)
    same_e2e = world.rtgs.submit(world.pacs008(A, B, 100_00, e2e="E2E-PENSION-1"))
    assert (again.duplicate, again.status, same_e2e.duplicate, same_e2e.status) == (True, SETTLED, True, SETTLED)
    assert world.cash(B) == 100_00


def test_cut_off_weekend_and_wrong_date_are_refused(world: RtgsWorld) -> None:
    world.rtgs.fund(A, 1_000_00, "reserves")
    world.clock.at(16, 30)
    late = world.rtgs.submit(world.pacs008(A, B, 1_00))
    assert (late.status, late.reason_code) == (REJECTED, "TM01")
    assert world.rtgs.submit(world.pacs009(A, B, 1_00)).status is SETTLED, "bank transfers until 17:00"
    tomorrow = world.rtgs.submit(world.pacs008(A, B, 1_00, day=BUSINESS_DAY.replace(day=24)))
    world.clock.at(10, 0, day=BUSINESS_DAY.replace(day=28))  # a Saturday
    weekend = world.rtgs.submit(world.pacs009(A, B, 1_00))
    assert (tomorrow.reason_code, weekend.reason_code) == ("DT01", "DT01")
    assert status_of(late.xml).reason_code == "TM01"


def test_statements_add_up_to_the_ledger_balances(world: RtgsWorld) -> None:
    world.rtgs.fund(A, 500_00, "reserves")
    world.rtgs.submit(world.pacs008(A, B, 120_00))
    world.rtgs.submit(world.pacs008(B, C, 20_00))
    world.clock.at(17, 0)
    world.rtgs.end_of_day()
    for bank in (A, B, C):
        stored = world.rtgs.statement(bank, BUSINESS_DAY)
        assert stored is not None
        statement = parse_inbound(stored.xml).body
        assert statement.closing_balance.amount_minor == world.cash(bank)  # type: ignore[union-attr]
    assert world.rtgs.end_of_day().rejected == 0, "a second end of day changes nothing"


def test_a_return_pays_back_at_most_what_was_received(world: RtgsWorld) -> None:
    world.rtgs.fund(A, 500_00, "reserves")
    assert world.rtgs.submit(world.pacs008(A, B, 300_00, e2e="E2E-WRONG-ACCOUNT")).status is SETTLED
    assert world.rtgs.submit(return_xml(world, B, A, 200_00, "E2E-WRONG-ACCOUNT"), sender_bank=B).status is SETTLED
    too_much = world.rtgs.submit(return_xml(world, B, A, 200_00, "E2E-WRONG-ACCOUNT"))
    unknown = world.rtgs.submit(return_xml(world, B, A, 1_00, "E2E-NEVER-SENT"))
    assert (too_much.reason_code, unknown.reason_code) == ("AM09", "AG01")
    assert (world.cash(A), world.cash(B)) == (400_00, 100_00)


class _CrashAfterCommit:
    """A ledger gateway that commits the first chain, then 'crashes' before the RTGS records it."""

    def __init__(self, world: RtgsWorld) -> None:
        self._ledger = world.ledger

    def create_transfers(self, events: Sequence[Transfer]) -> list[CreateTransferResult]:
        self._ledger.create_transfers(events)
        raise ConnectionError("the process died here")

    def __getattr__(self, name: str) -> object:
        return getattr(self._ledger, name)


def test_a_chain_committed_before_a_crash_is_recovered_as_settled(world: RtgsWorld) -> None:
    world.rtgs.fund(A, 500_00, "reserves")
    crashing = Rtgs(replace(world.rtgs.ctx, ledger=_CrashAfterCommit(world)))  # type: ignore[arg-type]
    with pytest.raises(ConnectionError):
        crashing.submit(world.pacs008(A, B, 300_00))
    [payment] = world.rtgs.payments(BUSINESS_DAY)
    assert payment.status is PaymentStatus.QUEUED and world.cash(B) == 300_00
    restarted = Rtgs(world.rtgs.ctx)  # recovery runs at start
    [payment] = restarted.payments(BUSINESS_DAY)
    assert payment.status is PaymentStatus.SETTLED
    assert restarted.run_lsm() == 0 and world.cash(B) == 300_00, "never settled twice"


def test_a_payment_no_longer_queued_is_never_marked_settled(world: RtgsWorld) -> None:
    """The guarded update under recovery and settlement: only a queued payment becomes settled."""
    world.rtgs.fund(A, 100_00, "reserves")
    assert world.rtgs.submit(world.pacs008(A, B, 400_00)).status is PENDING
    world.clock.at(17, 30)
    assert world.rtgs.end_of_day().rejected == 1
    [payment] = world.rtgs.payments(BUSINESS_DAY)
    legs = payment_legs(payment.seq, payment.attempt)
    with world.rtgs.ctx.engine.begin() as conn:
        assert not repository.mark_settled(conn, payment.seq, "recovered", 0, legs.debit_id, legs.credit_id)
    [payment] = world.rtgs.payments(BUSINESS_DAY)
    assert payment.status is PaymentStatus.REJECTED


@pytest.mark.postgres
def test_recovery_in_a_starting_process_waits_for_the_settling_one(postgres_url: str) -> None:
    """A process starting (its recovery) while another holds the RTGS lock to settle waits
    for it, then finds nothing to recover: the payment settles once."""
    world = RtgsWorld.open(postgres_url)
    starting: list[Rtgs] = []
    other_store = open_store(postgres_url)
    other = RtgsContext(engine=domain_engine(postgres_url), ledger=Ledger(other_store), clock=world.clock,
                        screening=world.parties)
    try:
        world.rtgs.fund(A, 500_00, "reserves")
        with world.rtgs.ctx.lock:
            thread = threading.Thread(target=lambda: starting.append(Rtgs(other)))
            thread.start()
            thread.join(1.0)
            waited = thread.is_alive()
            assert world.rtgs.submit(world.pacs008(A, B, 300_00)).status is SETTLED
        thread.join(30)
        assert waited, "recovery ran while another process held the RTGS lock"
        assert starting and starting[0].recover() == 0
        assert world.cash(B) == 300_00 and world.rtgs.run_lsm() == 0
    finally:
        other_store.close()
        other.engine.dispose()
        world.close()
