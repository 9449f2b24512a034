"""The ledger benchmark's smoke run (`--quick`): one JSON object with every key, the
balances verified, about 1% refused. Figures are reported, never asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
KEYS = {
    "pgbench_tps",
    "postgres_transfers_per_s",
    "postgres_ratio_to_pgbench",
    "postgres_projected_transfers_per_s",
    "postgres_projected_ratio_to_pgbench",
    "sqlite_transfers_per_s",
    "batch_ms_p50",
    "batch_ms_p99",
    "accounts",
    "transfers",
    "concurrent_clients",
    "concurrent_transfers_per_s",
    "balances_verified",
}


def test_quick_ledger_bench_verifies_every_balance() -> None:
    run = subprocess.run([sys.executable, str(BENCH / "ledger.py"), "--quick"], capture_output=True, text=True,
                         timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report.keys() >= KEYS
    assert report["balances_verified"] is True
    assert report["concurrent_clients"] == 64
    assert report["transfers"] >= 50_000
    assert 0.005 <= report["refused_share"] <= 0.02


def test_the_concurrent_phase_runs_alone_and_verifies() -> None:
    run = subprocess.run([sys.executable, str(BENCH / "ledger.py"), "--only", "concurrent", "--quick"],
                         capture_output=True, text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["balances_verified"] is True
    assert report["concurrent_clients"] == 64
    assert report["transfers"] == 64 * 40
    assert report["concurrent_transfers_per_s"] > 0
