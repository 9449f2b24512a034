"""Commit throughput of the ledger stores: batches of 8,190 synthetic transfers.

Measures only `LedgerStore.commit` (row encoding plus the database transaction, durable
settings as shipped), with the memory store as the peer measured in the same run. Every
account has the debits_must_not_exceed_credits flag, as funded accounts do.

It also measures what SQLite's balance-flag CHECK costs, against the same batches on
accounts without the flag: once with no pending balances (the CHECK compares blobs) and
once with pending and posted debits on every account (the CHECK calls the Python
`u128_add`). Configurations alternate, each on a fresh database, and figures are medians.

Prints one JSON object. Usage: .venv/bin/python bench/store_commit.py [--batches N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from digisom.devtools.postgres_server import PostgresUnavailable, TemporaryPostgres
from digisom.ledger.journal import chain_hash
from digisom.ledger.model import BATCH_EVENTS_MAX, Account, AccountFlags, Transfer
from digisom.ledger.store import GENESIS_HASH, CommittedBatch, JournalRecord, LedgerStore, LedgerTotals
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


def commit_seconds(store: LedgerStore, work: list[CommittedBatch]) -> list[float]:
    """Commit every batch; the seconds each transfer batch's `commit` took."""
    seconds = []
    for batch in work:
        store.begin()
        start = time.perf_counter()
        store.commit(batch)
        seconds.append(time.perf_counter() - start)
    return seconds[1:]  # the first batch only opens the accounts


def figures(seconds: list[float]) -> dict[str, float]:
    """Transfers per second (from the median batch) and the median batch time."""
    median = statistics.median(seconds)
    return {"transfers_per_s": round(BATCH_EVENTS_MAX / median), "batch_ms_p50": round(median * 1000, 1)}


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
    result: dict[str, object] = {"batch_transfers": BATCH_EVENTS_MAX, "batches": args.batches,
                                 "rounds": args.rounds, "accounts": ACCOUNTS}
    memory: list[float] = []
    sqlite: dict[str, list[float]] = {name: [] for name in work}
    postgres: list[float] = []
    with tempfile.TemporaryDirectory() as directory:
        databases = itertools.count()

        def measure(url: str, batches_: list[CommittedBatch]) -> list[float]:
            store = open_store(url)
            try:
                return commit_seconds(store, batches_)
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
    result["memory_transfers_per_s"] = figures(memory)["transfers_per_s"]
    shipped, unflagged, flagged_pending = (figures(sqlite[name]) for name in work)
    result["sqlite_transfers_per_s"] = shipped["transfers_per_s"]
    result["sqlite_batch_ms_p50"] = shipped["batch_ms_p50"]
    result["sqlite_unflagged_batch_ms_p50"] = unflagged["batch_ms_p50"]
    result["sqlite_flagged_pending_batch_ms_p50"] = flagged_pending["batch_ms_p50"]
    result["sqlite_flag_check_cost_pct"] = round(100 * (shipped["batch_ms_p50"] / unflagged["batch_ms_p50"] - 1), 1)
    result["sqlite_u128_add_check_cost_pct"] = round(
        100 * (flagged_pending["batch_ms_p50"] / unflagged["batch_ms_p50"] - 1), 1
    )
    if postgres:
        for key, value in figures(postgres).items():
            result[f"postgres_{key}"] = value
    print(json.dumps(result))


if __name__ == "__main__":
    main()
