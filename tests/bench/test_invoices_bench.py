"""The merchant-invoice benchmark's smoke run (`--quick`): every invoice settled, the
wallet credited exactly once per invoice (the bench asserts it), figures reported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
KEYS = {"settled", "invoices_per_s", "confirmation_to_credit_ms_p50", "confirmation_to_credit_ms_p99"}


def test_quick_invoice_bench_settles_every_invoice() -> None:
    run = subprocess.run([sys.executable, str(BENCH / "invoices.py"), "--quick"], capture_output=True, text=True,
                         timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report.keys() >= KEYS
    assert report["settled"] == report["invoices"] == 20
    assert report["confirmation_to_credit_ms_p99"] >= report["confirmation_to_credit_ms_p50"] > 0
