"""`digisom interbank submit|eod|register-bank` and the interbank demo."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from digisom.cli.main import app
from digisom.demos.interbank import run_interbank_demo
from digisom.demos.world import DemoWorld
from digisom.interbank.iso20022 import StatusReport, parse_inbound
from tests.interbank.rtgs_world import COMMERCIAL_BANK, OTHER_COMMERCIAL_BANK, payment_xml

runner = CliRunner()


def test_submit_answers_with_a_pacs002_and_eod_closes_a_past_day(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'rtgs.db'}"
    registered = runner.invoke(app, ["interbank", "register-bank", COMMERCIAL_BANK, "--name", "Commercial",
                                     "--db", db])
    assert registered.exit_code == 0, registered.output
    message = tmp_path / "payment.xml"
    # The creditor is no participant: a deterministic refusal whatever the time of day.
    message.write_bytes(payment_xml(COMMERCIAL_BANK, OTHER_COMMERCIAL_BANK, 100, 1))
    result = runner.invoke(app, ["interbank", "submit", str(message), "--db", db])
    assert result.exit_code == 1
    report = parse_inbound(result.stdout_bytes).body
    assert isinstance(report, StatusReport) and report.reason_code == "RC01"
    closed = runner.invoke(app, ["interbank", "eod", "--date", "2026-11-20", "--db", db])
    assert closed.exit_code == 0, closed.output
    assert json.loads(closed.stdout)["business_date"] == "2026-11-20"
    weekend = runner.invoke(app, ["interbank", "eod", "--date", "2026-11-21", "--db", db])
    assert weekend.exit_code == 2


def test_the_demo_tells_the_story_and_writes_valid_messages(tmp_path: Path) -> None:
    assert run_interbank_demo(DemoWorld(tmp_path / "data"), tmp_path)
    files = sorted((tmp_path / "messages").glob("*.xml"))
    names = " ".join(f.name for f in files)
    for kind in ("pacs.008", "pacs.009", "pacs.002", "camt.054", "camt.053"):
        assert kind in names
    for file in files:
        parse_inbound(file.read_bytes())  # each validates against its XSD
