"""Payments through the HTTP API with 1, 2 and 4 `digisom serve` processes on PostgreSQL.

    .venv/bin/python bench/api.py              # 30 s of load per process count, 200 clients
    .venv/bin/python bench/api.py --quick      # 5 s each, 40 clients, same JSON shape

For each process count: a throwaway PostgreSQL database, `digisom serve --workers N`, a
world of funded wallets near their holding limits (bench/api_load.py), then the
clients pay between random wallets as their holders for the duration, some requests
sent twice at once under one idempotency key. After each run the invariants are checked
from the server's answers and the ledger (api_load.check). Prints progress on stderr and
one JSON line: payments_per_s_1, payments_per_s_2, payments_per_s_4 (accepted payments per
second), p50_ms_4 and p99_ms_4 (request latency with 4 processes), and `verified` (every
run kept every invariant: the ledger verifies and circulation equals issuance). Exits 1
if a check failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: `bench` is a namespace package
from bench import api_load  # the load harness beside this script, and its RTGS and offline clients
from digisom.devtools.postgres_server import TemporaryPostgres

PROCESS_COUNTS = (1, 2, 4)


def run(processes: int, server: TemporaryPostgres, clients: int, duration_s: float,
        wallets: int) -> tuple[api_load.LoadResult, list[str]]:
    """One load run with `processes` API processes on a fresh database."""
    url = server.create_database(f"api_bench_{processes}")
    with tempfile.TemporaryDirectory() as data_dir, api_load.running_server(processes, url, Path(data_dir)) as api:
        world = api_load.build_world(api, Path(data_dir), wallets)
        result = api_load.run_load(world, clients, duration_s)
        broken = api_load.check(world, url)
    print(f"{processes} process(es): {result.accepted} payments in {result.duration_s:.1f} s, "
          f"statuses {dict(result.statuses)}, broken: {broken or 'none'}", file=sys.stderr)
    return result, broken


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5 s per run with 40 clients")
    parser.add_argument("--duration-s", type=float, default=None)
    parser.add_argument("--clients", type=int, default=None)
    parser.add_argument("--wallets", type=int, default=50)
    args = parser.parse_args(argv)
    duration_s = args.duration_s or (5.0 if args.quick else 30.0)
    clients = args.clients or (40 if args.quick else 200)
    figures: dict[str, object] = {}
    verified = True
    with TemporaryPostgres() as server:
        for processes in PROCESS_COUNTS:
            result, broken = run(processes, server, clients, duration_s, args.wallets)
            verified = verified and not broken and result.replays_mismatched == 0
            figures[f"payments_per_s_{processes}"] = round(result.payments_per_s, 1)
            if processes == 4:
                figures["p50_ms_4"] = round(result.percentile_ms(0.50), 1)
                figures["p99_ms_4"] = round(result.percentile_ms(0.99), 1)
    figures["verified"] = verified
    print(json.dumps(figures))
    return 0 if verified else 1


if __name__ == "__main__":
    sys.exit(main())
