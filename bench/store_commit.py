"""Commit throughput of the ledger stores: batches of 8,190 synthetic transfers.

Measures only `LedgerStore.commit` (row encoding plus the database transaction, durable
settings as shipped), with the memory store as the peer measured in the same run. Every
account has the debits_must_not_exceed_credits flag, as funded accounts do.

It also measures what SQLite's balance-flag CHECK costs, against the same batches on
accounts without the flag: once with no pending balances (the CHECK compares blobs) and
once with pending and posted debits on every account (the CHECK calls the Python
`u128_add`). Those two costs are reported in CPU time of the committing thread, which
stays meaningful on a busy machine. Configurations alternate, each on a fresh database;
figures are medians over all batches.

Prints one JSON object. Usage: .venv/bin/python bench/store_commit.py [--batches N]
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from digisom.devtools.postgres_server import PostgresUnavailable, TemporaryPostgres
from digisom.ledger.journal import chain_hash
from digisom.ledger.model import BATCH_EVENTS_MAX, Account, AccountFlags, Transfer
from digisom.ledger.store import GENESIS_HASH, CommittedBatch, JournalRecord, LedgerStore, LedgerTotals
from digisom.stores.sqlite import u128_add
from digisom.stores.url import open_store

LEDGER = 417
ACCOUNTS = 10_000
FUNDING = 10**30  # every account starts with this much credit, so debits never exceed it


def _record(seq: int, prev_hash: bytes, size: int) -> JournalRecord:
    payload = seq.to_bytes(8, "big") * (size // 8)  # a payload as large as the engine's
    return JournalRecord(seq, prev_hash, chain_hash(prev_hash, payload), payload)


def _account(account_id: int, flags: int, balances: list[int]) -> Account:
    """An account of the synthetic ledger with `balances` (dp, dpo, cp, cpo)."""
    debits_pending, debits_posted, credits_pending, credits_posted = balances
    return Account(account_id, LEDGER, 1, flags, 0, 0, 0, debits_pending, debits_posted, credits_pending,
                   credits_posted, timestamp=account_id)


def batches(flags: int, count: int, pending: int = 0, seed: int = 7) -> list[CommittedBatch]:
    """The account-opening batch, then `count` batches of BATCH_EVENTS_MAX transfers.

    Every account holds `pending` in both debits_pending and credits_pending."""
    rng = random.Random(seed)
    balances = {i: [pending, 0, pending, FUNDING] for i in range(1, ACCOUNTS + 1)}
    opening = [_account(i, flags, balances[i]) for i in balances]
    first = _record(1, GENESIS_HASH, 60 * ACCOUNTS)
    total, pending_total = FUNDING * ACCOUNTS, pending * ACCOUNTS
    out = [CommittedBatch(first, ACCOUNTS, accounts_created=opening,
                          ledger_totals=[LedgerTotals(LEDGER, pending_total, total, pending_total, total)])]
    prev, timestamp, transfer_id = first, ACCOUNTS, 0
    for seq in range(2, count + 2):
        transfers: list[Transfer] = []
        touched: set[int] = set()
        for _ in range(BATCH_EVENTS_MAX):
            debit, credit = rng.sample(range(1, ACCOUNTS + 1), 2)
            amount = rng.randrange(1, 10**6)
            transfer_id += 1
            timestamp += 1
            transfers.append(Transfer(transfer_id, debit, credit, amount, LEDGER, 1, 0, 0, 0, 0, 0, 0, timestamp))
            balances[debit][1] += amount
            balances[credit][3] += amount
            total += amount
            touched.update((debit, credit))
        updated = [_account(i, flags, balances[i]) for i in sorted(touched)]
        record = _record(seq, prev.hash, 128 * BATCH_EVENTS_MAX)
        totals = LedgerTotals(LEDGER, pending_total, total, pending_total, total)
        out.append(CommittedBatch(record, timestamp, accounts_updated=updated, transfers_created=transfers,
                                  ledger_totals=[totals]))
        prev = record
    return out


class Timing(NamedTuple):
    """One `commit` call: wall-clock seconds, and CPU seconds of the calling thread."""

    wall_s: float
    cpu_s: float


def commit_timings(store: LedgerStore, work: list[CommittedBatch]) -> list[Timing]:
    """Commit every batch; the timing of each transfer batch's `commit`."""
    timings = []
    for batch in work:
        store.begin()
        wall, cpu = time.perf_counter(), time.thread_time()
        store.commit(batch)
        timings.append(Timing(time.perf_counter() - wall, time.thread_time() - cpu))
    return timings[1:]  # the first batch only opens the accounts


def median_ms(timings: list[Timing], cpu: bool = False) -> float:
    """The median wall-clock (or CPU) time of the batches, in milliseconds."""
    return round(1000 * statistics.median(t.cpu_s if cpu else t.wall_s for t in timings), 1)


def per_s(timings: list[Timing]) -> int:
    """Transfers per second at the median wall-clock batch time."""
    return round(BATCH_EVENTS_MAX / statistics.median(t.wall_s for t in timings))


def u128_add_call_us(rows: int = 100_000, repeats: int = 9) -> float:
    """CPU microseconds one call of SQLite's `u128_add` adds over a builtin of the same
    shape: a figure that a busy machine does not distort the way it distorts a commit."""
    conn = sqlite3.connect(":memory:")
    conn.create_function("u128_add", 2, u128_add, deterministic=True)
    conn.execute("CREATE TABLE pairs (a BLOB, b BLOB)")
    conn.executemany("INSERT INTO pairs VALUES (?, ?)",
                     ((i.to_bytes(16, "big"), (7 * i).to_bytes(16, "big")) for i in range(rows)))

    def best_cpu_s(sql: str) -> float:
        timings = []
        for _ in range(repeats):
            start = time.thread_time()
            conn.execute(sql).fetchall()
            timings.append(time.thread_time() - start)
        return min(timings)

    extra_s = best_cpu_s("SELECT count(u128_add(a, b) <= b) FROM pairs") - best_cpu_s(
        "SELECT count(max(a, b) <= b) FROM pairs"
    )
    conn.close()
    return round(1e6 * extra_s / rows, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--batches", type=int, default=8, help="transfer batches per database")
    parser.add_argument("--rounds", type=int, default=3, help="fresh databases per configuration")
    args = parser.parse_args()
    work = {
        "flagged": batches(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS, args.batches),
        "unflagged": batches(0, args.batches),
        "flagged_pending": batches(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS, args.batches, pending=1),
    }
    # The prepared input is a quarter of a million objects that the collector would scan
    # again and again during the measured commits; it is not part of what we measure.
    gc.collect()
    gc.freeze()
    result: dict[str, object] = {"batch_transfers": BATCH_EVENTS_MAX, "batches": args.batches,
                                 "rounds": args.rounds, "accounts": ACCOUNTS}
    memory: list[Timing] = []
    sqlite: dict[str, list[Timing]] = {name: [] for name in work}
    postgres: list[Timing] = []
    with tempfile.TemporaryDirectory() as directory:
        databases = itertools.count()

        def measure(url: str, batches_: list[CommittedBatch]) -> list[Timing]:
            store = open_store(url)
            try:
                return commit_timings(store, batches_)
            finally:
                store.close()

        for _ in range(args.rounds):
            memory += measure("memory:", work["flagged"])
            for name, batches_ in work.items():
                sqlite[name] += measure(f"sqlite:///{Path(directory) / f'bench{next(databases)}.db'}", batches_)
        try:
            with TemporaryPostgres() as server:
                for _ in range(args.rounds):
                    postgres += measure(server.create_database(f"bench{next(databases)}"), work["flagged"])
        except PostgresUnavailable as error:
            result["postgres_error"] = str(error)
    result["memory_transfers_per_s"] = per_s(memory)
    result["sqlite_transfers_per_s"] = per_s(sqlite["flagged"])
    result["sqlite_batch_ms_p50"] = median_ms(sqlite["flagged"])
    # CPU time, not wall time, for the CHECK's cost: it is what the CHECK adds, and it
    # stays meaningful on a machine shared with other work.
    cpu_ms = {name: median_ms(timings, cpu=True) for name, timings in sqlite.items()}
    for name, value in cpu_ms.items():
        result[f"sqlite_{name}_batch_cpu_ms_p50"] = value
    result["sqlite_flag_check_cost_pct"] = round(100 * (cpu_ms["flagged"] / cpu_ms["unflagged"] - 1), 1)
    result["sqlite_u128_add_check_cost_pct"] = round(100 * (cpu_ms["flagged_pending"] / cpu_ms["unflagged"] - 1), 1)
    # At most one call per account row a batch writes (the two balance flags exclude
    # each other), and none when either addend is zero.
    result["sqlite_u128_add_cpu_us_per_call"] = u128_add_call_us()
    if postgres:
        result["postgres_transfers_per_s"] = per_s(postgres)
        result["postgres_batch_ms_p50"] = median_ms(postgres)
        result["postgres_batch_client_cpu_ms_p50"] = median_ms(postgres, cpu=True)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
