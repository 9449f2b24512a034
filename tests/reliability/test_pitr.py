"""Backup and point-in-time restore (issue 20), end to end on PostgreSQL 15: a server
archiving its WAL, a base backup, payments, a named restore point, more payments; the
backup restored into a new data directory and recovered from the archive to the point.
On the restored database the payments made before the point are there, those after it
are not, the ledger's journal and chart verify, circulation equals issuance, and the
promoted server takes a new payment. It runs in the default suite and fails (never
skips) without the server binaries: the runbook in docs/operations.md rests on it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest

from digisom.api.runtime import build
from digisom.devtools.pitr import PitrWorkspace, RestoreTarget, create_restore_point
from digisom.devtools.postgres_server import TemporaryPostgres
from digisom.kernel.chart_audit import audit_chart
from digisom.ledger.audit import verify
from digisom.stores.url import open_store
from tests.api.world import World

pytestmark = pytest.mark.postgres

POINT = "before-the-second-batch"
PAYMENTS = 3


def test_a_restore_to_a_named_point_keeps_the_payments_before_it_and_none_after(tmp_path: Path) -> None:
    started_s = time.monotonic()
    with PitrWorkspace() as workspace:
        with TemporaryPostgres(settings=workspace.archiving_settings()) as primary:
            url = primary.create_database("digisom")
            with _world(url, tmp_path) as world:
                backup = workspace.base_backup(primary)  # before any payment: recovery must replay them
                before = _pay(world, "before", PAYMENTS)
                create_restore_point(primary.url, POINT)
                after = _pay(world, "after", PAYMENTS)
                tokens, wallets = world.tokens, world.wallets
            assert _payment_ids(url) >= before | after  # the primary holds both batches
            workspace.archive_current_wal(primary.url)
        with workspace.restored(backup, RestoreTarget(name=POINT)) as restored:
            url = restored.database_url("digisom")
            found = _payment_ids(url)
            assert before <= found, "a payment made before the restore point is missing"
            assert not (after & found), "a payment made after the restore point was restored"
            with _world(url, tmp_path) as world:
                world.tokens, world.wallets = tokens, wallets
                world.assert_balanced()
                assert world.ok(world.pay("treasury", "treasury", "merchant", 7), 201)["status"] == "completed"
            _assert_ledger_verifies(url)
    print(f"PITR rehearsal: {time.monotonic() - started_s:.1f} s")


def test_a_restore_target_is_a_name_or_a_moment_never_both_nor_sql() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        RestoreTarget()
    with pytest.raises(ValueError, match="plain"):
        RestoreTarget(name="x'; DROP TABLE y; --")
    with pytest.raises(ValueError, match="time zone"):
        RestoreTarget(moment=datetime(2026, 12, 7, 14, 3))
    moment = datetime(2026, 12, 7, 14, 3, tzinfo=timezone(timedelta(hours=6)))
    assert RestoreTarget(moment=moment).settings() == {
        "recovery_target_time": "2026-12-07T14:03:00+06:00", "recovery_target_inclusive": "on",
        "recovery_target_action": "promote"}


@contextmanager
def _world(url: str, tmp_path: Path) -> Iterator[World]:
    runtime = build(db_url=url, data_dir=tmp_path / "api")  # one signing key for both servers' tokens
    try:
        world = World.create(runtime)
        yield world if _has_wallets(url) else world.setup()
    finally:
        runtime.close()


def _has_wallets(url: str) -> bool:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM cbdc_wallets").fetchone()
    return bool(row and row[0])


def _pay(world: World, batch: str, count: int) -> set[str]:
    ids = set()
    for number in range(count):
        answer = world.ok(world.pay("treasury", "treasury", "merchant", 10 + number, key=f"{batch}-{number}"), 201)
        ids.add(str(answer["id"]))
    return ids


def _payment_ids(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {str(row[0]) for row in conn.execute("SELECT id FROM cbdc_payments")}


def _assert_ledger_verifies(url: str) -> None:
    store = open_store(url)
    try:
        report = verify(store)
        assert report.ok, report.discrepancy
        assert report.transfers > 0
        chart = audit_chart(store)
        assert chart.ok, chart.violations
    finally:
        store.close()
