"""Executing a run through the ledger: batches, unclaimed recipients, bank accounts,
and a crash in the middle that resumes without paying anyone twice."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, select

from digisom.disbursement import tables
from digisom.disbursement.model import PaymentStatus, Progress, RunStatus, WrongState, transfer_id
from digisom.disbursement.ports import Channel, Destination
from digisom.disbursement.service import DisbursementService
from digisom.ledger.model import Account, AccountFlags, Transfer
from digisom.ledger.results import CreateAccountResult, CreateTransferResult
from digisom.ledger.service import Ledger
from tests.disbursement.directory import TREASURY_WALLET, FakeDirectory, FakeSources

CENTRAL_BANK = 1
TREASURY = 2
COMMERCIAL_BANK = 3  # where recipients without a wallet but with a bank account are paid
WALLETS_FIRST = 1_000
LEDGER = 417
BUDGET_TYIYN = 100_000_000
RECIPIENTS = 60
TREASURY_CLERK = "treasury-clerk"
TREASURY_SUPERVISOR = "treasury-supervisor"


def pin(n: int) -> str:
    return f"{20_000_000_000_000 + n:014d}"


def amount_tyiyn(n: int) -> int:
    return 500_000 + n * 101


def channel(n: int) -> Channel:
    if n % 10 == 3:
        return Channel.NONE
    return Channel.BANK_ACCOUNT if n % 10 == 7 else Channel.WALLET


def build(engine: Engine, ledger: Ledger) -> tuple[DisbursementService, FakeDirectory]:
    """A treasury funded by the central bank, pensioners' wallets, a pensions programme."""
    pensioners = range(1, RECIPIENTS + 1)
    accounts = [
        Account(CENTRAL_BANK, LEDGER, 1),
        Account(TREASURY, LEDGER, 2, flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
        Account(COMMERCIAL_BANK, LEDGER, 3),
        *(Account(WALLETS_FIRST + n, LEDGER, 5) for n in pensioners),
    ]
    assert set(ledger.create_accounts(accounts)) == {CreateAccountResult.ok}
    assert ledger.create_transfers([Transfer(1, CENTRAL_BANK, TREASURY, BUDGET_TYIYN, LEDGER, 1)]) == [
        CreateTransferResult.ok
    ]
    known = {}
    for n in pensioners:
        destination = {
            Channel.WALLET: Destination(Channel.WALLET, WALLETS_FIRST + n),
            Channel.BANK_ACCOUNT: Destination(Channel.BANK_ACCOUNT, COMMERCIAL_BANK),
            Channel.NONE: Destination(Channel.NONE),
        }[channel(n)]
        known[pin(n)] = destination
    directory = FakeDirectory(known)
    service = DisbursementService(engine, directory, ledger, FakeSources(TREASURY))
    service.create_programme("pensions", "Pensions", TREASURY_WALLET, BUDGET_TYIYN)
    return service, directory


def pension_file() -> bytes:
    lines = ["pin,amount_tyiyn,name,region"]
    lines += [f"{pin(n)},{amount_tyiyn(n)},Pensioner {n},Naryn" for n in range(1, RECIPIENTS + 1)]
    return ("\n".join(lines) + "\n").encode()


def approved_run(service: DisbursementService, period: str = "2026-11") -> str:
    run = service.upload(TREASURY_CLERK, f"pensions-{period}", "pensions", period, pension_file())
    return service.approve(TREASURY_SUPERVISOR, run.id).id


@dataclass
class KilledAfter:
    """A ledger that commits its `calls`-th batch and then dies, before the run can record it."""

    ledger: Ledger
    calls: int

    def create_transfers(self, events: Sequence[Transfer]) -> list[CreateTransferResult]:
        results = self.ledger.create_transfers(events)
        self.calls -= 1
        if self.calls == 0:
            raise KeyboardInterrupt("killed")
        return results


def balance(ledger: Ledger, account_id: int) -> tuple[int, int]:
    (account,) = ledger.lookup_accounts([account_id])
    return account.debits_posted, account.credits_posted


def expected_paid() -> dict[int, int]:
    return {n: amount_tyiyn(n) for n in range(1, RECIPIENTS + 1) if channel(n) is not Channel.NONE}


def test_a_run_pays_everyone_once_and_reduces_the_budget_line(engine: Engine, ledger: Ledger) -> None:
    service, _ = build(engine, ledger)
    run_id = approved_run(service)
    seen: list[Progress] = []
    progress = service.execute(run_id, batch_size=8, on_batch=seen.append)
    paid = expected_paid()
    assert progress.status is RunStatus.COMPLETED
    assert (progress.paid, progress.unclaimed, progress.rejected, progress.pending) == (len(paid), 6, 0, 0)
    assert progress.paid_tyiyn == sum(paid.values())
    assert len(seen) == progress.batches_done == 8
    assert [p.pending for p in seen] == sorted((p.pending for p in seen), reverse=True)
    for n in range(1, RECIPIENTS + 1):
        if channel(n) is Channel.WALLET:
            assert balance(ledger, WALLETS_FIRST + n) == (0, amount_tyiyn(n))
    bank_tyiyn = sum(a for n, a in paid.items() if channel(n) is Channel.BANK_ACCOUNT)
    assert balance(ledger, COMMERCIAL_BANK) == (0, bank_tyiyn)
    assert service.programme("pensions").remaining_tyiyn == BUDGET_TYIYN - sum(paid.values())
    assert service.execute(run_id) == progress  # done is done


def test_a_run_killed_in_the_middle_resumes_and_pays_everyone_exactly_once(engine: Engine, ledger: Ledger) -> None:
    service, directory = build(engine, ledger)
    run_id = approved_run(service)
    dying = DisbursementService(engine, directory, KilledAfter(ledger, calls=3), FakeSources(TREASURY))
    with pytest.raises(KeyboardInterrupt):
        dying.execute(run_id, batch_size=7)
    halfway = service.progress(run_id)
    assert halfway.status is RunStatus.EXECUTING
    assert 0 < halfway.pending < RECIPIENTS
    # The third batch reached the ledger but not the run's records.
    assert halfway.batches_done == 2

    done = service.execute(run_id, batch_size=7)

    paid = expected_paid()
    assert done.status is RunStatus.COMPLETED
    assert (done.paid, done.unclaimed, done.rejected, done.pending) == (len(paid), 6, 0, 0)
    for n, amount in paid.items():
        if channel(n) is Channel.WALLET:
            assert balance(ledger, WALLETS_FIRST + n) == (0, amount)
        transfers = ledger.lookup_transfers([transfer_id("pensions", "2026-11", pin(n))])
        assert [t.amount for t in transfers] == [amount]
    assert balance(ledger, TREASURY) == (sum(paid.values()), BUDGET_TYIYN)
    assert service.programme("pensions").remaining_tyiyn == BUDGET_TYIYN - sum(paid.values())


def test_a_recipient_the_ledger_refuses_is_rejected_with_its_reason(engine: Engine, ledger: Ledger) -> None:
    service, directory = build(engine, ledger)
    directory.known[pin(1)] = Destination(Channel.WALLET, 999_999)  # no such ledger account
    run_id = approved_run(service)
    progress = service.execute(run_id)
    assert progress.rejected == 1
    with engine.connect() as conn:
        row = conn.execute(select(tables.payments).where(tables.payments.c.pin == pin(1))).mappings().one()
    assert (row["status"], row["reason"]) == (PaymentStatus.REJECTED.value, "credit_account_not_found")
    paid = expected_paid()
    del paid[1]
    assert service.programme("pensions").remaining_tyiyn == BUDGET_TYIYN - sum(paid.values())


def test_an_unapproved_run_is_not_executed(engine: Engine, ledger: Ledger) -> None:
    service, _ = build(engine, ledger)
    run = service.upload(TREASURY_CLERK, "pensions-2026-11", "pensions", "2026-11", pension_file())
    with pytest.raises(WrongState):
        service.execute(run.id)
    assert balance(ledger, TREASURY) == (0, BUDGET_TYIYN)
