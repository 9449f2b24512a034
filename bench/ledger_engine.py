"""The ledger engine alone (no store), pure Python against a compiled build, same run.

    .venv/bin/python bench/ledger_engine.py --compile [--transfers N] [--rounds N]
    .venv/bin/python bench/ledger_engine.py [--compiled-tree DIR] [--transfers N] [--rounds N]

`engine_transfers_per_s` times only `Engine.apply_transfers` on batches of 8,190 random
transfers between 100,000 accounts (the workspace already loaded, as the writer's cache
holds it); `memory_store_transfers_per_s` is `bench/profile_ledger.py`'s figure (engine
plus writer on the memory store). With `--compiled-tree` (a copy of src/ with the engine
modules compiled in place, e.g. by mypyc) each round runs once on src/ and once on that
tree, alternating, each in a fresh process, so both see the same machine load.
`--compile` makes that tree first, in a temporary directory: mypyc (shipped with mypy)
compiles ENGINE_MODULES with the C compiler; setuptools, which mypyc needs and the lock
does not hold, is installed into the temporary directory with uv. Times are CPU seconds
of the measuring process (`time.process_time`): on a shared machine they move far less
than wall time. Prints one JSON object with every round and the median ratio compiled / pure.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# A child process imports these from the tree its PYTHONPATH names first (pure or compiled).
from digisom.ledger import core
from digisom.ledger.model import Account, AccountFlags, Transfer
from digisom.ledger.service import Ledger
from digisom.stores.memory import MemoryStore

ACCOUNTS = 100_000
BATCH = 8190
KGS = 417
SRC = Path(__file__).resolve().parent.parent / "src"
# The pure engine and what it imports (the import-linter contract "The ledger engine is pure").
ENGINE_MODULES = ("digisom/ledger/core.py", "digisom/ledger/model.py", "digisom/ledger/results.py", "digisom/errors.py")


def compile_tree(where: Path) -> float:
    """Copy src/ to `where` and compile the engine modules in place; returns the build's wall seconds."""
    started = time.perf_counter()
    shutil.copytree(SRC / "digisom", where / "digisom", ignore=shutil.ignore_patterns("__pycache__"))
    bin_dir = Path(sys.executable).parent
    subprocess.run([bin_dir / "uv", "pip", "install", "--quiet", "--python", sys.executable,
                    "--target", where / "_setuptools", "setuptools"], check=True)
    subprocess.run([bin_dir / "mypyc", *ENGINE_MODULES], cwd=where, check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(where / "_setuptools")})
    return time.perf_counter() - started


def measure(transfer_count: int) -> dict[str, object]:
    """One process's figures, on whichever `digisom` its sys.path finds first."""
    rng = random.Random(1)
    pairs = []
    for _ in range(transfer_count):
        debit, credit = rng.randint(11, ACCOUNTS), rng.randint(11, ACCOUNTS)
        pairs.append((debit, credit if credit != debit else debit % ACCOUNTS + 1, rng.randint(1, 1000)))
    limited = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
    accounts = [Account(i, KGS, 1, 0 if i <= 10 else limited, timestamp=i) for i in range(1, ACCOUNTS + 1)]

    # The engine alone: every account already in the workspace, funded.
    slots = {a.id: core.Slot(a) for a in accounts}
    for slot in slots.values():
        slot.credits_posted = 10**9
    totals: dict[int, list[int]] = {KGS: [0, 0, 0, 0]}
    events = [Transfer(k + 1, d, c, amount, KGS, 1) for k, (d, c, amount) in enumerate(pairs)]
    started = time.process_time()
    for start in range(0, len(events), BATCH):
        workspace = core.Workspace(slots, {}, {}, {}, totals)
        results = core.Engine(workspace).apply_transfers(events[start : start + BATCH], 10**15 + start)
        assert not any(results), "every benchmark transfer must succeed"
    engine_s = time.process_time() - started

    # Engine plus writer on the memory store (bench/profile_ledger.py's figure).
    ledger = Ledger(MemoryStore())
    for start in range(0, ACCOUNTS, BATCH):
        ledger.create_accounts([a._replace(timestamp=0) for a in accounts[start : start + BATCH]])
    funding = [Transfer(10**12 + i, 1, i, 10**9, KGS, 1) for i in range(11, ACCOUNTS + 1)]
    for start in range(0, len(funding), BATCH):
        ledger.create_transfers(funding[start : start + BATCH])
    gc_s = [0.0]
    gc_started = [0.0]

    def on_gc(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            gc_started[0] = time.process_time()
        else:
            gc_s[0] += time.process_time() - gc_started[0]

    gc.callbacks.append(on_gc)
    started = time.process_time()
    for start in range(0, len(events), BATCH):
        ledger.create_transfers(events[start : start + BATCH])
    store_s = time.process_time() - started
    gc.callbacks.remove(on_gc)
    return {
        "compiled": not core.__file__.endswith(".py"),
        "engine_transfers_per_s": round(transfer_count / engine_s),
        "memory_store_transfers_per_s": round(transfer_count / store_s),
        "memory_store_gc_share": round(gc_s[0] / store_s, 2),  # of its CPU time, in the cyclic collector
    }


def child(tree: Path, transfer_count: int) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tree), str(Path(__file__).resolve().parent)])}
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--transfers", str(transfer_count)],
        env=env, check=True, capture_output=True, text=True,
    ).stdout
    figures: dict[str, object] = json.loads(out)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--compiled-tree", type=Path)
    parser.add_argument("--compile", action="store_true", help="build the compiled tree first (temporary)")
    parser.add_argument("--transfers", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.transfers)))
        return 0
    with tempfile.TemporaryDirectory(prefix="ledger_engine_") as scratch:
        build: dict[str, object] = {}
        if args.compile:
            args.compiled_tree = Path(scratch)
            build["mypyc_build_s"] = round(compile_tree(args.compiled_tree), 1)
        trees = {"pure": SRC} | ({"compiled": args.compiled_tree.resolve()} if args.compiled_tree else {})
        rounds: dict[str, list[dict[str, object]]] = {name: [] for name in trees}
        for _ in range(args.rounds):
            for name, tree in trees.items():
                rounds[name].append(child(tree, args.transfers))
    report: dict[str, object] = {"transfers": args.transfers, "load_average": os.getloadavg(), **build, **rounds}
    if args.compiled_tree:
        if not all(r["compiled"] for r in rounds["compiled"]):
            print("the compiled tree's engine did not load compiled", file=sys.stderr)
            return 1
        for figure in ("engine_transfers_per_s", "memory_store_transfers_per_s"):
            ratios = [float(c[figure]) / float(p[figure])  # type: ignore[arg-type]
                      for c, p in zip(rounds["compiled"], rounds["pure"], strict=True)]
            report[f"{figure}_ratio"] = round(statistics.median(ratios), 2)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
