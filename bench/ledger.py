"""Ledger throughput against PostgreSQL's own pgbench, on the same server, in one run.

    .venv/bin/python bench/ledger.py            # the full run (about 5 minutes here)
    .venv/bin/python bench/ledger.py --quick    # a small workload, same JSON shape
    .venv/bin/python bench/ledger.py --accounts 1000000

Starts a throwaway PostgreSQL with default durable settings (fsync and synchronous_commit
on), measures pgbench TPC-B (scale 10, 8 clients, 2 threads), then the digisom ledger on
the same server and on a SQLite file (durable commits): accounts, then transfers in
batches of the CLI's default size — random pairs, 10% touching one of 10 hot accounts,
2% two-phase (pending, then post or void), ~1% refused for insufficient funds. Then
64 concurrent clients submitting one transfer at a time through the submitter. Finally
the verifier, and every balance compared with an in-memory recomputation. Prints one
JSON object as its last line; exits 1 if the balances do not verify.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.progress import Progress

from digisom.cli import DEFAULT_BATCH_SIZE
from digisom.devtools.postgres_server import TemporaryPostgres
from digisom.ledger.audit import verify
from digisom.ledger.model import AMOUNT_MAX, Account, AccountFlags, Transfer, TransferFlags
from digisom.ledger.results import CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.ledger.submitter import Submitter
from digisom.stores.url import open_store

KGS = 417
HOT_ACCOUNTS = 10
HOT_SHARE = 0.10
TWO_PHASE_SHARE = 0.02
REFUSED_SHARE = 0.01
FUNDING_TYIYN = 10_000_000
CONCURRENT_CLIENTS = 64
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


def run_ledger(url: str, workload: Workload, label: str, progress: Progress) -> tuple[LedgerRun, Ledger]:
    """Create the accounts, fund them, then time the transfer batches."""
    store = open_store(url)
    ledger = Ledger(store)
    for batch in workload.account_batches(DEFAULT_BATCH_SIZE):
        ledger.create_accounts(batch)
    for batch in workload.funding:
        ledger.create_transfers(batch)
    task = progress.add_task(f"{label}: transfers", total=sum(len(b) for b in workload.batches))
    batch_ms = []
    results = []
    started = time.perf_counter()
    for batch in workload.batches:
        t0 = time.perf_counter()
        results.append(ledger.create_transfers(batch))
        batch_ms.append((time.perf_counter() - t0) * 1000)
        progress.advance(task, len(batch))
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


def run_concurrent(ledger: Ledger, workload: Workload, clients: int, per_client: int,
                   first_id: int) -> tuple[float, list[tuple[Transfer, CreateTransferResult]]]:
    """`clients` threads each submit one transfer at a time; returns transfers/s."""
    submitter = Submitter(ledger)
    done: list[tuple[Transfer, CreateTransferResult]] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        rng = random.Random(number)
        mine = []
        for n in range(per_client):
            debit = rng.randint(HOT_ACCOUNTS + 1, workload.accounts)
            credit = debit % workload.accounts + 1
            t = Transfer(first_id + number * per_client + n, debit, credit, rng.randint(1, 100), KGS, 1)
            (result,) = submitter.create_transfers([t])
            mine.append((t, result))
        with lock:
            done.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    submitter.close()
    return clients * per_client / seconds, done


def pgbench_tps(server: TemporaryPostgres, seconds: int, scale: int) -> float:
    """TPC-B as pgbench runs it: the peer for the ledger's figure."""
    pgbench = str(Path(server.bin_dir) / "pgbench") if (Path(server.bin_dir) / "pgbench").exists() else "pgbench"
    url = server.create_database("pgbench")
    subprocess.run([pgbench, "-i", "-q", "-s", str(scale), url], check=True, capture_output=True)
    out = subprocess.run([pgbench, "-c", "8", "-j", "2", "-T", str(seconds), url],
                         check=True, capture_output=True, text=True).stdout
    match = re.search(r"tps = ([0-9.]+)", out)
    if match is None:
        raise RuntimeError(f"no tps in pgbench output:\n{out}")
    return float(match.group(1))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small workload in under 60 s")
    parser.add_argument("--accounts", type=int, help="accounts (default 100,000; 10,000 with --quick)")
    parser.add_argument("--transfers", type=int, help="transfers (default 1,000,000; 50,000 with --quick)")
    args = parser.parse_args(argv)
    accounts = args.accounts or (10_000 if args.quick else 100_000)
    transfers = args.transfers or (50_000 if args.quick else 1_000_000)
    pgbench_seconds, per_client = (5, 40) if args.quick else (30, 300)
    workload = make_workload(accounts, transfers, DEFAULT_BATCH_SIZE)
    figures: dict[str, object] = {}
    with TemporaryPostgres() as server, tempfile.TemporaryDirectory() as scratch, Progress(
        transient=True
    ) as progress:
        peer_tps = pgbench_tps(server, pgbench_seconds, scale=10)
        pg_run, pg_ledger = run_ledger(server.create_database("ledger"), workload, "postgres", progress)
        first_id = 10**15
        concurrent_per_s, concurrent_done = run_concurrent(pg_ledger, workload, CONCURRENT_CLIENTS, per_client,
                                                           first_id)
        sqlite_run, sqlite_ledger = run_ledger(f"sqlite:///{Path(scratch) / 'ledger.db'}", workload, "sqlite",
                                               progress)
        verified = balances_match(pg_ledger, expected_balances(workload, [pg_run.results], concurrent_done))
        verified = verified and balances_match(sqlite_ledger, expected_balances(workload, [sqlite_run.results], []))
        pg_ledger.store.close()
        sqlite_ledger.store.close()
    refused = sum(r != OK for batch in pg_run.results for r in batch)
    figures.update(
        pgbench_tps=round(peer_tps, 1),
        postgres_transfers_per_s=round(pg_run.transfers_per_s),
        postgres_ratio_to_pgbench=round(pg_run.transfers_per_s / peer_tps, 2),
        sqlite_transfers_per_s=round(sqlite_run.transfers_per_s),
        batch_ms_p50=round(statistics.median(pg_run.batch_ms), 1),
        batch_ms_p99=round(percentile(pg_run.batch_ms, 0.99), 1),
        accounts=accounts,
        transfers=pg_run.transfers,
        refused_share=round(refused / pg_run.transfers, 4),
        batch_size=DEFAULT_BATCH_SIZE,
        concurrent_clients=CONCURRENT_CLIENTS,
        concurrent_transfers_per_s=round(concurrent_per_s),
        balances_verified=verified,
    )
    print(json.dumps(figures))
    return 0 if verified else 1


if __name__ == "__main__":
    sys.exit(main())
