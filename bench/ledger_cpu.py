"""CPU per transfer on PostgreSQL: this process (engine, encoding) and the server backend,
one batch at a time and pipelined. CPU time moves far less than wall time when other
work shares the machine, so this tells what the ledger costs, and what two idle cores
could give: serial about 1 / (python + server), pipelined up to 1 / max(python, server).

    .venv/bin/python bench/ledger_cpu.py [--accounts N] [--transfers N] [--rounds N]

Prints one JSON object: per mode, one entry per round.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from digisom.cli.main import DEFAULT_BATCH_SIZE
from digisom.devtools.postgres_server import TemporaryPostgres
from digisom.ledger.service import Ledger
from digisom.stores.postgres import PostgresStore
from ledger_workload import make_workload

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (here: the server backend of a connection)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_S


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--transfers", type=int, default=150_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    workload = make_workload(args.accounts, args.transfers, DEFAULT_BATCH_SIZE)
    transfers = sum(len(b) for b in workload.batches)
    figures: dict[str, list[dict[str, float]]] = {}
    with TemporaryPostgres() as server:
        for run in range(args.rounds * 2):
            mode = ("serial", "pipelined")[run % 2]
            store = PostgresStore(server.create_database(f"ledger_{run}"))
            ledger = Ledger(store)
            for accounts in workload.account_batches(DEFAULT_BATCH_SIZE):
                ledger.create_accounts(accounts)
            for funding in workload.funding:
                ledger.create_transfers(funding)
            backend = store.backend_pid
            server_before, python_before, started = cpu_s(backend), time.process_time(), time.perf_counter()
            if mode == "serial":
                for batch in workload.batches:
                    ledger.create_transfers(batch)
            else:
                for _results in ledger.create_transfers_many(workload.batches):
                    pass
            seconds = time.perf_counter() - started
            figures.setdefault(mode, []).append({
                "transfers_per_s": round(transfers / seconds),
                "python_us_per_transfer": round((time.process_time() - python_before) / transfers * 1e6, 1),
                "server_us_per_transfer": round((cpu_s(backend) - server_before) / transfers * 1e6, 1),
            })
            store.close()
    print(json.dumps({"accounts": args.accounts, "transfers": transfers, **figures}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
