"""Does the ledger's cost stay flat as accounts grow? The same transfer workload on
10,000 and on 1,000,000 accounts, on PostgreSQL and SQLite, in one run.

    .venv/bin/python bench/ledger_scaling.py                 # 10k vs 1M accounts, 300k transfers
    .venv/bin/python bench/ledger_scaling.py --quick         # 2k vs 50k accounts, 40k transfers

Target: throughput with the large account count within 20% of the small one. Also the
cost per touched account (`*_us_per_touched_account_*`: the run's time over the sum, per
batch, of the distinct accounts its transfers name): one row per touched account is
each batch's floor, and a batch over more accounts touches more distinct ones.
Prints one JSON object as its last line; exits 1 if any balance does not verify.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from rich.progress import Progress

from digisom.cli.main import DEFAULT_BATCH_SIZE
from digisom.devtools.postgres_server import TemporaryPostgres
from ledger_workload import Workload, balances_match, expected_balances, make_workload, run_ledger


def touched_accounts(workload: Workload) -> int:
    """Distinct accounts named per batch, summed over the batches (a post or void of a
    pending transfer names none: it touches the pending's, counted where it was made)."""
    return sum(len({i for t in batch for i in (t.debit_account_id, t.credit_account_id) if i})
               for batch in workload.batches)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--small", type=int, help="the small account count (default 10,000)")
    parser.add_argument("--large", type=int, help="the large account count (default 1,000,000)")
    parser.add_argument("--transfers", type=int, help="transfers per run (default 300,000)")
    args = parser.parse_args(argv)
    small = args.small or (2_000 if args.quick else 10_000)
    large = args.large or (50_000 if args.quick else 1_000_000)
    transfers = args.transfers or (40_000 if args.quick else 300_000)
    figures: dict[str, object] = {"accounts_small": small, "accounts_large": large, "transfers": transfers}
    verified = True
    rates: dict[tuple[str, str], float] = {}
    with TemporaryPostgres() as server, tempfile.TemporaryDirectory() as scratch, Progress(transient=True) as bar:
        for size, label in ((small, "small"), (large, "large")):
            workload = make_workload(size, transfers, DEFAULT_BATCH_SIZE)
            touched = touched_accounts(workload)
            figures[f"touched_accounts_per_batch_{label}"] = round(touched / len(workload.batches))
            for backend, url in (
                ("postgres", server.create_database(f"ledger_{label}")),
                ("sqlite", f"sqlite:///{Path(scratch) / f'{label}.db'}"),
            ):
                run, ledger = run_ledger(url, workload, f"{backend} {size:,} accounts", bar)
                rates[backend, label] = run.transfers_per_s
                figures[f"{backend}_transfers_per_s_{label}"] = round(run.transfers_per_s)
                figures[f"{backend}_us_per_touched_account_{label}"] = round(run.seconds / touched * 1e6, 2)
                verified = verified and balances_match(ledger, expected_balances(workload, [run.results], []))
                ledger.store.close()
    for backend in ("postgres", "sqlite"):
        figures[f"{backend}_large_to_small_ratio"] = round(rates[backend, "large"] / rates[backend, "small"], 3)
    figures["balances_verified"] = verified
    print(json.dumps(figures))
    return 0 if verified else 1


if __name__ == "__main__":
    sys.exit(main())
