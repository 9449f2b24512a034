"""Offline migration 2 (added 2026-12-07): one return of unspent value per funding epoch; parked runs.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `offline/tables.py` describes the result
of all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

SQLITE: Final = (
    """
CREATE TABLE offline_parked_runs (
    run_id INTEGER NOT NULL,
    reason VARCHAR(32) NOT NULL,
    detail VARCHAR(200) NOT NULL,
    parked_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (run_id)
)
""",
    """
CREATE TABLE offline_returns (
    device_key_id BLOB NOT NULL,
    funding_total_tyiyn BIGINT NOT NULL,
    run_id INTEGER NOT NULL,
    PRIMARY KEY (device_key_id, funding_total_tyiyn)
)
""",
)

POSTGRESQL: Final = (
    """
CREATE TABLE offline_parked_runs (
    run_id INTEGER NOT NULL,
    reason VARCHAR(32) NOT NULL,
    detail VARCHAR(200) NOT NULL,
    parked_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (run_id)
)
""",
    """
CREATE TABLE offline_returns (
    device_key_id BYTEA NOT NULL,
    funding_total_tyiyn BIGINT NOT NULL,
    run_id INTEGER NOT NULL,
    PRIMARY KEY (device_key_id, funding_total_tyiyn)
)
""",
)


MIGRATION: Final = Migration(
    2, "one return per funding epoch; parked runs", ddl_step(sqlite=SQLITE, postgresql=POSTGRESQL)
)
