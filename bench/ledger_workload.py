"""The ledger benchmarks' shared workload: accounts, funding, transfers, recomputation.

Used by bench/ledger.py (throughput against pgbench) and bench/ledger_scaling.py
(throughput as accounts grow). Random pairs, 10% touching one of 10 hot accounts, 2%
two-phase (pending, then post or void a batch later), ~1% refused for insufficient funds.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass

from rich.progress import Progress

from digisom.cli.main import DEFAULT_BATCH_SIZE
from digisom.ledger.audit import verify
from digisom.ledger.model import AMOUNT_MAX, Account, AccountFlags, Transfer, TransferFlags
from digisom.ledger.results import CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.stores.postgres import PostgresStore
from digisom.stores.url import open_store

KGS = 417
HOT_ACCOUNTS = 10
HOT_SHARE = 0.10
TWO_PHASE_SHARE = 0.02
REFUSED_SHARE = 0.01
FUNDING_TYIYN = 10_000_000
OK = CreateTransferResult.ok


@dataclass(frozen=True, slots=True)
class Workload:
    """Accounts 1..n (1..10 hot), a funding source n+1, and the transfer batches."""

    accounts: int
    funding: list[list[Transfer]]
    batches: list[list[Transfer]]

    @property
    def source(self) -> int:
        return self.accounts + 1

    def account_batches(self, size: int) -> list[list[Account]]:
        limited = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
        accounts = [Account(i, KGS, 1, limited) for i in range(1, self.accounts + 1)]
        accounts.append(Account(self.source, KGS, 2))  # the issuer: may go negative
        return [accounts[i : i + size] for i in range(0, len(accounts), size)]


def make_workload(accounts: int, transfers: int, batch_size: int, seed: int = 56) -> Workload:
    """A reproducible workload; ids are unique across the whole run."""
    rng = random.Random(seed)
    next_id = 1
    funding = []
    for start in range(1, accounts + 1, batch_size):
        batch = []
        for account in range(start, min(start + batch_size, accounts + 1)):
            amount = FUNDING_TYIYN * (100 if account <= HOT_ACCOUNTS else 1)
            batch.append(Transfer(next_id, accounts + 1, account, amount, KGS, 1))
            next_id += 1
        funding.append(batch)
    events: list[Transfer] = []
    holds: list[Transfer] = []  # pendings waiting for their post or void in a later batch
    while len(events) < transfers:
        draw = rng.random()
        debit, credit = rng.randint(1, accounts), rng.randint(1, accounts)
        if draw < HOT_SHARE:
            hot = rng.randint(1, HOT_ACCOUNTS)
            debit, credit = (hot, credit) if rng.random() < 0.5 else (debit, hot)
        if debit == credit:
            credit = credit % accounts + 1
        amount = rng.randint(1, 1_000_00)
        flags = 0
        if draw > 1 - REFUSED_SHARE:
            amount = FUNDING_TYIYN * 1_000  # more than any wallet holds: exceeds_credits
        elif draw > 1 - REFUSED_SHARE - TWO_PHASE_SHARE / 2:
            flags = TransferFlags.PENDING
        events.append(Transfer(next_id, debit, credit, amount, KGS, 1, flags, timeout_s=3600 if flags else 0))
        if flags:
            holds.append(events[-1])
        next_id += 1
        # Resolve holds a batch later: half posted in full, half voided.
        if holds and len(events) % batch_size == 0:
            for hold in holds:
                resolve = TransferFlags.POST_PENDING_TRANSFER if hold.id % 2 else TransferFlags.VOID_PENDING_TRANSFER
                amount = AMOUNT_MAX if resolve == TransferFlags.POST_PENDING_TRANSFER else 0
                events.append(Transfer(next_id, 0, 0, amount, 0, 0, resolve, pending_id=hold.id))
                next_id += 1
            holds.clear()
    batches = [events[i : i + batch_size] for i in range(0, len(events), batch_size)]
    return Workload(accounts, funding, batches)


@dataclass(frozen=True, slots=True)
class LedgerRun:
    transfers: int
    seconds: float
    batch_ms: list[float]
    results: list[list[CreateTransferResult]]

    @property
    def transfers_per_s(self) -> float:
        return self.transfers / self.seconds


def run_ledger(url: str, workload: Workload, label: str, progress: Progress, *,
               project_behind: bool = False) -> tuple[LedgerRun, Ledger]:
    """Create the accounts, fund them, then time the transfer batches. With
    `project_behind` (PostgreSQL), the transfer rows are projected behind the commits and
    the clock stops only when the projection has reached the last batch."""
    store = PostgresStore(url, project_behind=True) if project_behind else open_store(url)
    ledger = Ledger(store)
    for batch in workload.account_batches(DEFAULT_BATCH_SIZE):
        ledger.create_accounts(batch)
    for batch in workload.funding:
        ledger.create_transfers(batch)
    task = progress.add_task(f"{label}: transfers", total=sum(len(b) for b in workload.batches))
    batch_ms = []
    results = []
    # Pipelined, as the CLI runs: batch_ms is the time between two batches' answers.
    t0 = started = time.perf_counter()
    for batch_results in ledger.create_transfers_many(workload.batches):
        results.append(batch_results)
        now = time.perf_counter()
        batch_ms.append((now - t0) * 1000)
        t0 = now
        progress.advance(task, len(batch_results))
    if isinstance(store, PostgresStore):
        store.project()  # what is still waiting, so the rate is sustained, not burst
    seconds = time.perf_counter() - started
    return LedgerRun(sum(len(b) for b in workload.batches), seconds, batch_ms, results), ledger


def expected_balances(workload: Workload, runs: Sequence[list[list[CreateTransferResult]]],
                      extra: Sequence[tuple[Transfer, CreateTransferResult]]) -> dict[int, list[int]]:
    """Recompute every balance in memory from the workload and the results the ledger gave."""
    books = {i: [0, 0, 0, 0] for i in range(1, workload.source + 1)}
    holds: dict[int, Transfer] = {}

    def apply(t: Transfer) -> None:
        if t.flags & TransferFlags.PENDING:
            books[t.debit_account_id][0] += t.amount
            books[t.credit_account_id][2] += t.amount
            holds[t.id] = t
        elif t.flags & (TransferFlags.POST_PENDING_TRANSFER | TransferFlags.VOID_PENDING_TRANSFER):
            hold = holds.pop(t.pending_id)
            books[hold.debit_account_id][0] -= hold.amount
            books[hold.credit_account_id][2] -= hold.amount
            if t.flags & TransferFlags.POST_PENDING_TRANSFER:
                books[hold.debit_account_id][1] += hold.amount
                books[hold.credit_account_id][3] += hold.amount
        else:
            books[t.debit_account_id][1] += t.amount
            books[t.credit_account_id][3] += t.amount

    for batch in workload.funding:
        for t in batch:
            apply(t)
    for results in runs:
        for batch, batch_results in zip(workload.batches, results, strict=True):
            for t, result in zip(batch, batch_results, strict=True):
                if result == OK:
                    apply(t)
    for t, result in extra:
        if result == OK:
            apply(t)
    return books


def balances_match(ledger: Ledger, books: dict[int, list[int]]) -> bool:
    """Every stored balance equals the recomputation, and the verifier passes."""
    ids = sorted(books)
    for start in range(0, len(ids), DEFAULT_BATCH_SIZE):
        for account in ledger.lookup_accounts(ids[start : start + DEFAULT_BATCH_SIZE]):
            stored = [account.debits_pending, account.debits_posted, account.credits_pending, account.credits_posted]
            if stored != books[account.id]:
                print(f"account {account.id}: stored {stored}, expected {books[account.id]}", file=sys.stderr)
                return False
    report = verify(ledger.store)
    if not report.ok:
        print(f"verify: {report.discrepancy}", file=sys.stderr)
    return report.ok
