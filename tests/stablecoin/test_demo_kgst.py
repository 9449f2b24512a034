"""The KGST demo: supply equals the reserve after every step, and a second run on the same
data folder is told once: it checks the books the first run left (the chain was in process)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from digisom.demos.kgst import run_kgst_demo
from digisom.demos.world import DemoWorld


def test_demo_runs_twice_and_balances(tmp_path: Path) -> None:
    out = io.StringIO()
    assert run_kgst_demo(DemoWorld(tmp_path / "data"), tmp_path / "out", Console(file=out, width=120))
    text = out.getvalue()
    for said in ("mint posted", "redemption posted", "State Register of Digital Assets", "KGST@56:"):
        assert said in text
    steps = json.loads((tmp_path / "out" / "reports" / "kgst_reserve.json").read_text())
    assert [s["supply_tyiyn"] == s["reserve_tyiyn"] for s in steps] == [True, True, True]
    assert steps[-1]["reserve_tyiyn"] == 1_900_00
    assert run_kgst_demo(DemoWorld(tmp_path / "data"), None, Console(file=io.StringIO()))
