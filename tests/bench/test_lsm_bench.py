"""bench/lsm.py's smoke run: a tiny day, every algorithm reported, the figures consistent
with the liquidity bounds (the full 50,000-payment day is run by hand: docs/performance.md)."""

from __future__ import annotations

import json

import pytest

from bench import lsm


def test_a_tiny_day_reports_every_algorithm_within_the_bounds(capsys: pytest.CaptureFixture[str]) -> None:
    lsm.main(["--payments", "300"])
    report = json.loads(capsys.readouterr().out.splitlines()[-1])
    rows = report["algorithms"]
    assert set(rows) == set(lsm.algorithms())
    lower, gross = report["liquidity_lower_bound"], report["liquidity_needed_gross"]
    for row in rows.values():
        assert isinstance(row["liquidity_needed"], int) and row["liquidity_needed"] >= lower
        assert row["unsettled_at_needed"] == 0
        assert 0 <= row["mean_delay_s"] <= row["p99_delay_s"] or row["p99_delay_s"] == 0
    headline = rows[report["headline_algorithm"]]
    assert report["liquidity_saving_share"] == headline["liquidity_saving_share"] <= report["liquidity_saving_ceiling"]
    assert report["mean_delay_s"] == headline["mean_delay_s"]
    assert report["mean_delay_within_limit"] is (headline["mean_delay_s"] <= lsm.MEAN_DELAY_LIMIT_S)
    assert rows["gridlock_fifo_300s"]["liquidity_needed"] == lower  # the closing run settles on net positions
    assert rows[lsm.BASELINE]["liquidity_needed"] == gross
