"""The proof-of-reserves benchmark's smoke run (`--quick`, 10,000 customers): one JSON line
with the documented keys, the root's total equal to the CSV's sum, every proof verified.
Figures are reported, never asserted; the full 10,000,000 run is marked slow."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "por.py"
KEYS = {"leaves", "build_s", "parse_s", "proof_bytes", "verify_ms", "prove_ms", "depth", "workers", "total_matches",
        "peak_rss_mb", "build_cpu_s", "load_avg_1m"}


def _run(*args: str) -> dict[str, object]:
    run = subprocess.run([sys.executable, str(BENCH), *args], capture_output=True, text=True, timeout=1800,
                         check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    report: dict[str, object] = json.loads(run.stdout.strip().splitlines()[-1])
    assert report.keys() == KEYS
    assert report["total_matches"] is True
    return report


def test_quick_por_bench() -> None:
    report = _run("--quick")
    assert report["leaves"] == 10_000
    assert report["depth"] == 14
    # 31 + len("cust-NNNN") + 40 * 14: ids of 6 to 9 bytes
    assert 597 <= int(str(report["proof_bytes"])) <= 600


@pytest.mark.slow
def test_full_por_bench() -> None:
    report = _run()
    assert report["leaves"] == 10_000_000
    assert report["depth"] == 24
    assert int(str(report["proof_bytes"])) <= 1024
