"""The daily coverage report and the public figure."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta

from digisom.usdkg import reports
from tests.usdkg.world import PRICE_CENTS_PER_OZ, START, World, bar_row, csv_bytes


def test_a_days_report_is_kept_once_with_its_digest_and_reads_as_csv(world: World) -> None:
    world.import_bars(csv_bytes([bar_row("KG0001")]))
    now = START + timedelta(hours=1)
    world.set_price(PRICE_CENTS_PER_OZ, now)
    world.supply.by_chain = {1: 500_000 * 10**6, 56: 100 * 10**6}
    report = reports.publish_daily(world.engine, world.coverage.figure(now), now)
    assert report.sha256 == hashlib.sha256(report.json_bytes).hexdigest()
    document = json.loads(report.json_bytes)
    assert document["reserve_value_cents"] == str(400_084 * PRICE_CENTS_PER_OZ // 1000)
    assert document["supply_units_by_chain"] == {"1": "500000000000", "56": "100000000"}
    assert document["coverage_bps"] == 106_021_260 * 10**4 * 10**4 // 500_100_000_000
    world.supply.by_chain = {1: 1}
    again = reports.publish_daily(world.engine, world.coverage.figure(now + timedelta(hours=1)), now)
    assert again == report  # a published day is never rewritten
    lines = report.as_csv().splitlines()
    assert lines[0] == "field,value"
    assert "supply_units_chain_56,100000000" in lines
    public = reports.public_figure(world.coverage.figure(now))
    assert "supply_units_by_chain" not in public
    assert public["audit_overdue"] is False
