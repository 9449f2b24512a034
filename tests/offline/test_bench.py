"""The offline benchmark runs (quick: SQLite, small) and reports what it promises; no timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "offline.py"
KEYS = {
    "payment_bytes",
    "qr_version",
    "sign_us_p50",
    "verify_us_p50",
    "sync_payments",
    "sync_seconds",
    "sync_payments_per_s",
    "double_spends_injected",
    "double_spends_detected",
    "sync_backend",
    "pure_sync_payments",
    "pure_sync_seconds",
    "pure_sync_payments_per_s",
    "verify_only_per_s",
    "verify_only_seconds",
    "sync_to_verify_only",
    "decode_only_seconds",
    "sync_load_s",
    "sync_settle_s",
    "sync_store_s",
    "sync_post_s",
    "sync_post_wait_s",
    "sync_runs",
}


def test_bench_prints_one_json_object_with_every_key() -> None:
    run = subprocess.run(
        [sys.executable, str(BENCH), "--quick"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report.keys() >= KEYS
    assert report["payment_bytes"] <= 200
    assert report["qr_version"] <= 10
    assert report["sync_backend"] == "sqlite"
    assert report["sync_runs"] > 1  # the backlog split by payer, each run settled and posted
    assert report["sync_payments"] == report["pure_sync_payments"] == report["payments_distinct_expected"]
    # Every honest payment is paid; only the clones' excess may go unpaid or wait.
    assert report["sync_payments_paid"] >= report["sync_payments"] - report["double_spends_injected"]
    assert report["sync_transfers_posted"] >= report["sync_payments_paid"]
    assert report["double_spends_injected"] > 0
    assert report["double_spends_detected"] == report["double_spends_injected"]
    assert report["pure_double_spends_detected"] == report["double_spends_injected"]
    assert report["false_positives"] == 0
    # The peer verified every distinct payment's signature once (all from known payers).
    assert report["verify_only_signatures"] == report["sync_payments"]
