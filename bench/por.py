"""Proof of reserves at exchange scale: a Merkle-sum tree over N customers' balances.

    .venv/bin/python bench/por.py                   # 10,000,000 customers (depth 24)
    .venv/bin/python bench/por.py --quick           # 10,000 customers, same JSON shape
    .venv/bin/python bench/por.py --leaves 1000000 --workers 2

Untimed: a CSV of N customers (`cust-<n>`, random balances below 10**12) in a temporary
directory. Timed: `build_s` = reading and checking the CSV (`parse_s`) plus building the tree
into a directory (`digisom por build`'s work: nonces, random order, every level written,
the customers index). `prove_ms`: mean time of `digisom por prove`'s work for a few
customers (reads the customers index and 24 records). `verify_ms`: mean time of the
standalone verifier on one proof. `proof_bytes`: the largest binary proof of those made.
Every proof made is verified and must pass, and the root's total must equal the CSV's sum
(checked with Python's sum over the generated balances); exits 1 otherwise.
`peak_rss_mb`: the largest resident set of this process and of any build worker.
`build_cpu_s` (CPU seconds of the build, workers included) and `load_avg_1m` say how much
of `build_s` was waiting for a core on a shared machine.
Prints one JSON object."""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from digisom.por.csvin import read_balances
from digisom.por.proof import prove, to_binary
from digisom.por.tree import build_tree
from digisom.por.verify import verify

PROOFS = 20
VERIFY_REPEATS = 2000


def _cpu_s() -> float:
    """CPU seconds of this process and its finished children: the build's work whatever else the machine runs."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="10,000 customers")
    parser.add_argument("--leaves", type=int, help="customers (default 10,000,000; 10,000 with --quick)")
    parser.add_argument("--workers", type=int, default=2, help="build processes (default 2)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    leaves = args.leaves or (10_000 if args.quick else 10_000_000)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="por-bench-") as scratch:
        csv = Path(scratch) / "balances.csv"
        balances = [rng.randrange(10**12) for _ in range(leaves)]
        csv.write_bytes(b"customer_id,balance\n" + b"".join([b"cust-%d,%d\n" % (i, b) for i, b in enumerate(balances)]))
        expected_total = sum(balances)
        del balances
        print(f"csv of {leaves} customers written", file=sys.stderr)
        cpu_start = _cpu_s()
        start = time.perf_counter()
        parsed = read_balances(csv)
        parse_s = time.perf_counter() - start
        root = build_tree(parsed, "KGST", Path(scratch) / "tree", workers=args.workers)
        build_s = time.perf_counter() - start
        build_cpu_s = _cpu_s() - cpu_start
        del parsed
        customers = [f"cust-{rng.randrange(leaves)}" for _ in range(PROOFS)]
        start = time.perf_counter()
        proofs = [prove(Path(scratch) / "tree", customer) for customer in customers]
        prove_ms = (time.perf_counter() - start) * 1000 / PROOFS
        for proof in proofs:
            verify(proof, root)
        start = time.perf_counter()
        for _ in range(VERIFY_REPEATS):
            verify(proofs[0], root)
        verify_ms = (time.perf_counter() - start) * 1000 / VERIFY_REPEATS
    peak_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    report = {"leaves": leaves, "build_s": round(build_s, 2), "parse_s": round(parse_s, 2),
              "build_cpu_s": round(build_cpu_s, 1), "load_avg_1m": round(os.getloadavg()[0], 1),
              "proof_bytes": max(len(to_binary(proof)) for proof in proofs), "verify_ms": round(verify_ms, 4),
              "prove_ms": round(prove_ms, 2), "depth": root["depth"], "workers": args.workers,
              "total_matches": root["total"] == expected_total, "peak_rss_mb": round(peak_kb / 1024)}
    print(json.dumps(report))
    return 0 if report["total_matches"] else 1


if __name__ == "__main__":
    sys.exit(main())
