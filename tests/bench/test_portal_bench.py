"""The portal benchmark runs and reports its figures (never asserted against a budget:
tests assert behaviour). Slow: it seeds a year of data."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "portal.py"


@pytest.mark.slow
def test_portal_bench_reports_weight_and_render_time() -> None:
    run = subprocess.run([sys.executable, str(BENCH), "--rounds", "1"], capture_output=True, text=True, timeout=600,
                         check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["renders"] == 21
    assert report["page_bytes_max"] > report["static_bytes"] > 0
    assert set(report["render_ms_p99_by_page"]) == {"/", "/kgst", "/usdkg", "/spending", "/register", "/por",
                                                    "/records"}
