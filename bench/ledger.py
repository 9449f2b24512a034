"""Ledger throughput against PostgreSQL's own pgbench, on the same server, in one run.

    .venv/bin/python bench/ledger.py            # the full run (about 5 minutes here)
    .venv/bin/python bench/ledger.py --quick    # a small workload, same JSON shape
    .venv/bin/python bench/ledger.py --accounts 1000000
    .venv/bin/python bench/ledger.py --only concurrent   # only the 64 clients (PostgreSQL)

Starts a throwaway PostgreSQL with default durable settings (fsync and synchronous_commit
on), measures pgbench TPC-B (scale 10, 8 clients, 2 threads), then the digisom ledger on
the same server (twice: as shipped, and with the transfer rows projected behind the
commits, `postgres_projected_*`, the clock stopped once the projection has caught up)
and on a SQLite file (durable commits): accounts, then transfers in
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
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from rich.progress import Progress

from digisom.cli.main import DEFAULT_BATCH_SIZE
from digisom.devtools.postgres_server import TemporaryPostgres
from digisom.ledger.model import Transfer
from digisom.ledger.results import CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.ledger.submitter import Submitter
from ledger_workload import (
    HOT_ACCOUNTS,
    KGS,
    OK,
    Workload,
    balances_match,
    expected_balances,
    make_workload,
    run_ledger,
)
from pgbench_peer import FULL_SCALE, FULL_SECONDS, pgbench_tps

CONCURRENT_CLIENTS = 64


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


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def only_concurrent(accounts: int, per_client: int) -> int:
    """The 64-client phase alone on a fresh PostgreSQL ledger (accounts opened and funded)."""
    workload = make_workload(accounts, 0, DEFAULT_BATCH_SIZE)
    with TemporaryPostgres() as server, Progress(transient=True) as progress:
        _run, ledger = run_ledger(server.create_database("ledger"), workload, "postgres", progress)
        per_s, done = run_concurrent(ledger, workload, CONCURRENT_CLIENTS, per_client, 10**15)
        verified = balances_match(ledger, expected_balances(workload, [], done))
        ledger.store.close()
    print(json.dumps({"accounts": accounts, "concurrent_clients": CONCURRENT_CLIENTS,
                      "transfers": CONCURRENT_CLIENTS * per_client, "concurrent_transfers_per_s": round(per_s),
                      "balances_verified": verified}))
    return 0 if verified else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small workload in under 60 s")
    parser.add_argument("--accounts", type=int, help="accounts (default 100,000; 10,000 with --quick)")
    parser.add_argument("--transfers", type=int, help="transfers (default 1,000,000; 50,000 with --quick)")
    parser.add_argument("--only", choices=["concurrent"],
                        help="only this phase: the accounts are opened and funded, the rest skipped")
    args = parser.parse_args(argv)
    if args.only:
        return only_concurrent(args.accounts or (10_000 if args.quick else 100_000), 40 if args.quick else 300)
    accounts = args.accounts or (10_000 if args.quick else 100_000)
    transfers = args.transfers or (50_000 if args.quick else 1_000_000)
    pgbench_seconds, per_client = (5, 40) if args.quick else (FULL_SECONDS, 300)
    workload = make_workload(accounts, transfers, DEFAULT_BATCH_SIZE)
    figures: dict[str, object] = {}
    with TemporaryPostgres() as server, tempfile.TemporaryDirectory() as scratch, Progress(
        transient=True
    ) as progress:
        peer_tps = pgbench_tps(server, pgbench_seconds, FULL_SCALE)
        pg_run, pg_ledger = run_ledger(server.create_database("ledger"), workload, "postgres", progress)
        first_id = 10**15
        concurrent_per_s, concurrent_done = run_concurrent(pg_ledger, workload, CONCURRENT_CLIENTS, per_client,
                                                           first_id)
        # After the concurrent phase: its server would otherwise still be flushing this run's writes.
        projected_run, projected_ledger = run_ledger(server.create_database("projected"), workload,
                                                     "postgres, projected", progress, project_behind=True)
        sqlite_run, sqlite_ledger = run_ledger(f"sqlite:///{Path(scratch) / 'ledger.db'}", workload, "sqlite",
                                               progress)
        verified = balances_match(pg_ledger, expected_balances(workload, [pg_run.results], concurrent_done))
        verified = verified and balances_match(sqlite_ledger, expected_balances(workload, [sqlite_run.results], []))
        verified = verified and projected_run.results == pg_run.results and balances_match(
            projected_ledger, expected_balances(workload, [projected_run.results], []))
        projected_ledger.store.close()
        pg_ledger.store.close()
        sqlite_ledger.store.close()
    refused = sum(r != OK for batch in pg_run.results for r in batch)
    figures.update(
        pgbench_tps=round(peer_tps, 1),
        postgres_transfers_per_s=round(pg_run.transfers_per_s),
        postgres_ratio_to_pgbench=round(pg_run.transfers_per_s / peer_tps, 2),
        postgres_projected_transfers_per_s=round(projected_run.transfers_per_s),
        postgres_projected_ratio_to_pgbench=round(projected_run.transfers_per_s / peer_tps, 2),
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
