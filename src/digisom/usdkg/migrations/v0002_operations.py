"""USDKG migration 2 (added 2026-12-07): the issuer's mints and redemptions by operation id,
so a retried operation is answered from the record and never sent to a chain twice.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `usdkg/tables.py` describes the result
of all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

_OPERATIONS: Final = """
CREATE TABLE usdkg_operations (
    operation_id VARCHAR(64) NOT NULL,
    kind VARCHAR(8) NOT NULL,
    chain_id BIGINT NOT NULL,
    address VARCHAR(64) NOT NULL,
    amount_units BIGINT NOT NULL,
    state VARCHAR(8) NOT NULL,
    tx_hash VARCHAR(80),
    created_at VARCHAR(32) NOT NULL,
    completed_at VARCHAR(32),
    PRIMARY KEY (operation_id),
    CONSTRAINT usdkg_operations_kind CHECK (kind IN ('mint', 'redeem')),
    CONSTRAINT usdkg_operations_state CHECK (state IN ('sending', 'done')),
    CONSTRAINT usdkg_operations_positive CHECK (amount_units > 0 AND chain_id > 0),
    CONSTRAINT usdkg_operations_tx CHECK ((state = 'done') = (tx_hash IS NOT NULL)),
    CONSTRAINT usdkg_operations_completed CHECK ((state = 'done') = (completed_at IS NOT NULL))
)
"""
_STATE_INDEX: Final = "CREATE INDEX ix_usdkg_operations_state ON usdkg_operations (state)"

# The same DDL on both dialects (no BLOB or serial column in this table).
SQLITE: Final = (_OPERATIONS, _STATE_INDEX)
POSTGRESQL: Final = (_OPERATIONS, _STATE_INDEX)

MIGRATION: Final = Migration(2, "the issuer's operations", ddl_step(sqlite=SQLITE, postgresql=POSTGRESQL))
