"""Travel-rule migration 2 (added 2026-12-07): the callbacks' outbox. A held inquiry's
final answer writes one row in the transaction that decides it; the deliverer
(`travelrule.callbacks`) posts it, counts the attempts and marks it delivered or failed.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `travelrule/tables.py` describes the result
of all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

# The same DDL on SQLite and PostgreSQL (no serial keys).
DDL: Final = (
    """
CREATE TABLE travelrule_callbacks (
    callback_id VARCHAR(36) NOT NULL,
    inquiry_id VARCHAR(36) NOT NULL,
    url VARCHAR(500) NOT NULL,
    body TEXT NOT NULL,
    status VARCHAR(16) NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at VARCHAR(32) NOT NULL,
    delivered_at VARCHAR(32) NOT NULL,
    last_error VARCHAR(500) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (callback_id),
    FOREIGN KEY (inquiry_id) REFERENCES travelrule_inquiries (inquiry_id),
    CONSTRAINT travelrule_callbacks_status CHECK (status IN ('pending', 'delivered', 'failed')),
    CONSTRAINT travelrule_callbacks_attempts CHECK (attempts >= 0),
    CONSTRAINT travelrule_callbacks_delivered CHECK ((status = 'delivered') = (delivered_at <> '')),
    CONSTRAINT travelrule_callbacks_failed CHECK (status <> 'failed' OR attempts > 0),
    CONSTRAINT travelrule_callbacks_https CHECK (url LIKE 'https://%')
)
""",
    "CREATE UNIQUE INDEX ux_travelrule_callbacks_inquiry ON travelrule_callbacks (inquiry_id)",
    "CREATE INDEX ix_travelrule_callbacks_due ON travelrule_callbacks (status, next_attempt_at)",
)

MIGRATION: Final = Migration(2, "travel-rule callbacks", ddl_step(sqlite=DDL, postgresql=DDL))
