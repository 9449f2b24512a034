"""Profile the ledger's own Python (engine + writer) on the memory store.

    .venv/bin/python bench/profile_ledger.py [--transfers N] [--top K]

The memory store costs almost nothing, so this isolates what every store pays per
transfer before the database: the figure docs/performance.md tracks before and after
each optimisation. Prints the cProfile top functions (by own time) on stderr and one
JSON object on stdout: unprofiled transfers/s, then the profiled run's call count.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import random
import sys
import time

from digisom.ledger.model import Account, AccountFlags, Transfer
from digisom.ledger.service import Ledger
from digisom.stores.memory import MemoryStore

ACCOUNTS = 100_000
BATCH = 8190
KGS = 417


def transfers(count: int, first_id: int, seed: int) -> list[Transfer]:
    rng = random.Random(seed)
    events = []
    for k in range(count):
        debit, credit = rng.randint(11, ACCOUNTS), rng.randint(11, ACCOUNTS)
        if debit == credit:
            credit = debit % ACCOUNTS + 1
        events.append(Transfer(first_id + k, debit, credit, rng.randint(1, 1000), KGS, 1))
    return events


def run(ledger: Ledger, events: list[Transfer]) -> None:
    for start in range(0, len(events), BATCH):
        ledger.create_transfers(events[start : start + BATCH])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--transfers", type=int, default=200_000)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    ledger = Ledger(MemoryStore())
    limited = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
    for start in range(1, ACCOUNTS + 1, BATCH):
        ledger.create_accounts(
            [Account(i, KGS, 1, 0 if i <= 10 else limited) for i in range(start, min(start + BATCH, ACCOUNTS + 1))]
        )
    run(ledger, [Transfer(10**12 + i, 1, i, 10**9, KGS, 1) for i in range(11, ACCOUNTS + 1)])
    timed = transfers(args.transfers, 1, seed=1)
    started = time.perf_counter()
    run(ledger, timed)
    per_s = args.transfers / (time.perf_counter() - started)
    profile = cProfile.Profile()
    profiled = transfers(args.transfers, 10**9, seed=2)
    profile.enable()
    run(ledger, profiled)
    profile.disable()
    text = io.StringIO()
    stats = pstats.Stats(profile, stream=text)
    stats.sort_stats("tottime").print_stats(args.top)
    print(text.getvalue(), file=sys.stderr)
    print(json.dumps({"memory_store_transfers_per_s": round(per_s), "transfers": args.transfers,
                      "profiled_function_calls": stats.total_calls}))  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    sys.exit(main())
