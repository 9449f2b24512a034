"""The government-payments chapter of the demo runs through the API, twice on one data
folder without paying twice, and writes its reports."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from digisom.demos.government import run_government_demo
from digisom.demos.world import DemoWorld


def _run(data: Path, out: Path) -> str:
    console_text = io.StringIO()
    assert run_government_demo(DemoWorld(data), out, Console(file=console_text, width=400))
    return console_text.getvalue()


def test_pension_run_school_grant_and_tax_and_again(tmp_path: Path) -> None:
    data, out = tmp_path / "data", tmp_path / "out"
    first = _run(data, out)
    assert "line 3 unknown_pin, line 4 non_positive_amount, line 5 duplicate_pin" in first
    assert "7 paid (59500.00 KGS) via bank_account and wallet" in first
    assert "pensions/Naryn: 5 payees, 42500.00 KGS; pensions/Osh: suppressed" in first
    assert "merchant category 5411 is not one of benefit scheme" in first
    assert "the sweep returned 1800.00 KGS to the treasury" in first
    assert "treasury wallet 139750.00 KGS" in first
    report = json.loads((out / "pension-run-report.json").read_text())
    assert report["summary"]["paid"] == {"count": 7, "amount_tyiyn": "5950000"}
    assert "20304194500077" in (out / "pension-run-report.csv").read_text()  # the bank-account pensioner
    receipt = json.loads((out / "tax-receipt.json").read_text())

    second = _run(data, out)
    assert "treasury wallet 139750.00 KGS" in second  # nobody paid twice, no tax taken twice
    assert json.loads((out / "tax-receipt.json").read_text())["receipt_id"] == receipt["receipt_id"]
