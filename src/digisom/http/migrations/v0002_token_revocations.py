"""HTTP migration 2 (added 2026-12-07): revoked bearer tokens, by id (`jti`) and by a
subject's cut-off, so a leaked token stops working before it expires
(`digisom.http.revocations`).

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `http/tables.py` describes the result of all
steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

_TOKENS: Final = """
CREATE TABLE http_revoked_tokens (
    jti VARCHAR(32) NOT NULL,
    subject VARCHAR(64),
    expires_at_s BIGINT NOT NULL,
    revoked_at_s BIGINT NOT NULL,
    reason VARCHAR(200) NOT NULL,
    revoked_by VARCHAR(200) NOT NULL,
    PRIMARY KEY (jti),
    CONSTRAINT http_revoked_tokens_jti CHECK (length(jti) = 32),
    CONSTRAINT http_revoked_tokens_expiry CHECK (expires_at_s >= revoked_at_s)
)
"""
_CUTOFFS: Final = """
CREATE TABLE http_token_cutoffs (
    subject VARCHAR(64) NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    issued_before_s BIGINT NOT NULL,
    expires_at_s BIGINT NOT NULL,
    revoked_at_s BIGINT NOT NULL,
    reason VARCHAR(200) NOT NULL,
    revoked_by VARCHAR(200) NOT NULL,
    PRIMARY KEY (subject, bank_code),
    CONSTRAINT http_token_cutoffs_subject CHECK (length(subject) > 0),
    CONSTRAINT http_token_cutoffs_expiry CHECK (expires_at_s >= issued_before_s)
)
"""
_INDEXES: Final = (
    "CREATE INDEX ix_http_revoked_tokens_expires_at_s ON http_revoked_tokens (expires_at_s)",
    "CREATE INDEX ix_http_token_cutoffs_expires_at_s ON http_token_cutoffs (expires_at_s)",
)

# One text for both dialects: nothing in it differs between SQLite and PostgreSQL.
MIGRATION: Final = Migration(2, "token_revocations",
                             ddl_step(sqlite=(_TOKENS, _CUTOFFS, *_INDEXES), postgresql=(_TOKENS, _CUTOFFS, *_INDEXES)))
