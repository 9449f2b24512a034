"""Proof-of-reserves migration 1 (added 2026-12-07): the published roots.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `por/tables.py` describes the result of all
steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

_ROOTS: Final = (
    """
CREATE TABLE por_roots (
    root_id VARCHAR(64) NOT NULL,
    custodian_id VARCHAR(64) NOT NULL,
    asset VARCHAR(16) NOT NULL,
    total_units VARCHAR(20) NOT NULL,
    leaves BIGINT NOT NULL,
    depth INTEGER NOT NULL,
    built_at VARCHAR(32) NOT NULL,
    published_by VARCHAR(64) NOT NULL,
    published_at VARCHAR(32) NOT NULL,
    reserves TEXT NOT NULL,
    reserve_check TEXT NOT NULL,
    reserves_hold INTEGER NOT NULL,
    PRIMARY KEY (root_id),
    CONSTRAINT por_roots_root_hex CHECK (length(root_id) = 64),
    CONSTRAINT por_roots_depth CHECK (depth BETWEEN 0 AND 32),
    CONSTRAINT por_roots_leaves CHECK (leaves >= 1),
    CONSTRAINT por_roots_total CHECK (length(total_units) BETWEEN 1 AND 20),
    CONSTRAINT por_roots_hold CHECK (reserves_hold IN (0, 1))
)
""",
    "CREATE INDEX ix_por_roots_custodian_id ON por_roots (custodian_id)",
)

MIGRATION: Final = Migration(1, "published proof-of-reserves roots", ddl_step(sqlite=_ROOTS, postgresql=_ROOTS))
