"""The remittance chapter: the figures printed are the services' own, the mother receives
what the quote promised, the A7A5-linked transfer is stopped; fast enough for the demo."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

from rich.console import Console

from digisom.demos.remittance import run_remittance_demo
from digisom.demos.world import DemoWorld


def test_demo_pays_the_mother_and_stops_the_listed_sender(tmp_path: Path) -> None:
    out = io.StringIO()
    started = time.monotonic()
    assert run_remittance_demo(DemoWorld(tmp_path / "data"), tmp_path / "out", Console(file=out, width=200))
    elapsed_s = time.monotonic() - started
    text = out.getvalue()
    report = json.loads((tmp_path / "out" / "reports" / "remittance.json").read_text())
    assert report["received_tyiyn"] == report["receive_tyiyn"] > 0
    assert report["kgst_redeemed_tyiyn"] == 1_000_00
    cost_pct = f"{report['all_in_cost_ppm'] / 10_000:.2f}%"
    for said in ("15,000.00 RUB", f"all-in cost {cost_pct}", "hit, stopped", "clear, passed",
                 "synthetic-a7a5-wallet", "left at the redemption address: 500.00 KGST",
                 "1000.00 KGST from the migrant"):
        assert said in text, said
    assert elapsed_s < 15  # the chapter is meant to take a few seconds (shared CI machines vary)
