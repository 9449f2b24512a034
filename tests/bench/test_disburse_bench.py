"""The disbursement benchmark's smoke run (`--quick`): the paying process is really
killed and resumed, and nobody is paid twice or missed. Figures are reported, never
asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from digisom.devtools.postgres_server import TemporaryPostgres

BENCH = Path(__file__).resolve().parents[2] / "bench"
KEYS = {"payees", "seconds", "payees_per_s", "killed_and_resumed", "double_payments", "missing_payments"}


@pytest.mark.postgres
def test_quick_disburse_bench_is_killed_resumes_and_pays_everyone_once(postgres_server: TemporaryPostgres) -> None:
    # The bench starts its own server; the fixture only makes CI fail (not skip) without one.
    del postgres_server
    run = subprocess.run([sys.executable, str(BENCH / "disburse.py"), "--quick", "--seed", "7"], capture_output=True,
                         text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report.keys() >= KEYS
    assert report["payees"] == 20_000
    assert report["killed_and_resumed"] is True
    assert report["double_payments"] == 0
    assert report["missing_payments"] == 0
    assert report["ledger_verified"] is True
    assert report["budget_fell_by_total"] is True
