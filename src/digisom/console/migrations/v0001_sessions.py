"""Console migration 1 (added 2026-12-07): the sign-in sessions, so the server can end one
(sign-out, `digisom console sessions revoke`) and a copied cookie stops working.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `console/tables.py` describes the result of all
steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

_TABLE: Final = """
CREATE TABLE console_sessions (
    id_sha256 VARCHAR(64) NOT NULL,
    subject VARCHAR(64) NOT NULL,
    role VARCHAR(32) NOT NULL,
    bank_code VARCHAR(16),
    created_at_s BIGINT NOT NULL,
    expires_at_s BIGINT NOT NULL,
    revoked_at_s BIGINT,
    revoked_reason VARCHAR(200),
    PRIMARY KEY (id_sha256),
    CONSTRAINT console_sessions_id_sha256 CHECK (length(id_sha256) = 64),
    CONSTRAINT console_sessions_expiry CHECK (expires_at_s >= created_at_s),
    CONSTRAINT console_sessions_revoked CHECK ((revoked_at_s IS NULL) = (revoked_reason IS NULL))
)
"""
_INDEXES: Final = (
    "CREATE INDEX ix_console_sessions_subject ON console_sessions (subject)",
    "CREATE INDEX ix_console_sessions_expires_at_s ON console_sessions (expires_at_s)",
)

# One text for both dialects: nothing in it differs between SQLite and PostgreSQL.
MIGRATION: Final = Migration(1, "sessions", ddl_step(sqlite=(_TABLE, *_INDEXES), postgresql=(_TABLE, *_INDEXES)))
