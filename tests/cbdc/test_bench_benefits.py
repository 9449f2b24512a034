"""The benefits benchmark's smoke run (`--quick`): one JSON object, the sweep exact and
circulation balanced. Speeds are reported, never asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "benefits.py"


def test_quick_benefits_bench_sweeps_exactly() -> None:
    run = subprocess.run([sys.executable, str(BENCH), "--quick"], capture_output=True, text=True, timeout=600,
                         check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["sweep_exact"] is True and report["balanced"] is True
    assert report["swept_accounts"] == report["benefit_accounts"] == 2_000
