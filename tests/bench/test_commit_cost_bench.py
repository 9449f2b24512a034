"""bench/commit_cost.py: one batch's rows, index entries and WAL bytes per table, on both
stores. Marked slow (about 20 s); the counts it reports are checked against the schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.slow
def test_one_batch_is_counted_per_table_as_the_schema_says() -> None:
    run = subprocess.run([sys.executable, str(BENCH / "commit_cost.py")], capture_output=True, text=True,
                         timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    postgres, sqlite = report["postgres"], report["sqlite"]
    accepted = postgres["tables"]["transfers"]["inserted"]
    assert 0.95 * report["batch_transfers"] <= accepted <= report["batch_transfers"]
    assert sqlite["tables"]["transfers"]["inserted"] == accepted  # the same workload, the same results
    # PostgreSQL: id, unique timestamp and two history indexes; SQLite: id and the two (the timestamp is the rowid).
    assert postgres["tables"]["transfers"]["index_entries"] == 4 * accepted
    assert sqlite["tables"]["transfers"]["index_entries"] == 3 * accepted
    accounts = postgres["tables"]["accounts"]
    assert accounts["hot_updates"] >= 0.95 * accounts["updated"] > 0  # fillfactor 50: balance updates are HOT
    assert postgres["tables"]["journal"]["inserted"] == sqlite["tables"]["journal"]["inserted"] == 1
    for store in (postgres, sqlite):
        assert store["wal_bytes"] == sum(t["wal_bytes"] for t in store["tables"].values()) + store["other_wal_bytes"]
        assert store["tables"]["transfers"]["wal_bytes"] > store["tables"]["journal"]["wal_bytes"] > 0
