"""The digital-som chapter of the demo runs through the API, twice on one data folder
without paying twice, and writes its QR images and reports."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from digisom.demos.cbdc import run_cbdc_demo
from digisom.demos.world import DemoWorld


def test_the_demo_tells_the_story_and_is_idempotent(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = io.StringIO()
    assert run_cbdc_demo(DemoWorld(tmp_path / "data"), out, Console(file=first, width=160))
    assert "Reverse waterfall" in first.getvalue() and "NO" not in first.getvalue()
    second = io.StringIO()
    assert run_cbdc_demo(DemoWorld(tmp_path / "data"), out, Console(file=second, width=160))
    assert "700000.00 KGS in 3 wallets" in second.getvalue()  # the rerun issued and paid nothing again
    assert (out / "merchant-qr.png").read_bytes().startswith(b"\x89PNG")
    assert (out / "merchant-qr.svg").exists()
    assert "TOTAL" in (out / "issuance-report.csv").read_text()
