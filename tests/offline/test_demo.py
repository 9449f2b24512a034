"""The village story runs, every check holds, and a second run shows the same books."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from digisom.demos.offline import run_offline_demo
from digisom.demos.world import DemoWorld


def test_village_story_balances_and_runs_again(tmp_path: Path) -> None:
    out = io.StringIO()
    assert run_offline_demo(DemoWorld(tmp_path / "data"), tmp_path / "out", Console(file=out, width=140))
    told = out.getvalue()
    assert "double_counter" in told and "FAILED" not in told
    assert (tmp_path / "out" / "offline-payment.png").read_bytes().startswith(b"\x89PNG")
    again = io.StringIO()
    assert run_offline_demo(DemoWorld(tmp_path / "data"), None, Console(file=again, width=140))
    assert "no discrepancy" in again.getvalue()
