"""Register migration 2 (added 2026-12-14): the append-only event log of the register
and of VASP licensing, documents by SHA-256, four-eyes reviews and licence numbers.

The log refuses UPDATE and DELETE with triggers (SQLite: RAISE(ABORT); PostgreSQL: a
function that raises), so a row once written stays, whatever the code does. The rows of
`registry_assets` (the first register) stay where they are, as the old readers' view;
they enter the signed log when the service first starts with its key
(`registry.assets.AssetRegister.adopt_legacy`: a migration has no signing key).

Frozen: this is the DDL the step ran when it was added; once released it never changes."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

_TABLES: Final = (
    """
CREATE TABLE registry_events (
    seq BIGINT NOT NULL,
    stream VARCHAR(80) NOT NULL,
    kind VARCHAR(40) NOT NULL,
    body TEXT NOT NULL,
    actor VARCHAR(100) NOT NULL,
    at VARCHAR(32) NOT NULL,
    prev_hash VARCHAR(64) NOT NULL,
    hash VARCHAR(64) NOT NULL,
    signature VARCHAR(128) NOT NULL,
    PRIMARY KEY (seq),
    UNIQUE (prev_hash),
    UNIQUE (hash),
    CONSTRAINT ck_registry_events_seq CHECK (seq >= 1),
    CONSTRAINT ck_registry_events_link CHECK (prev_hash <> hash)
)
""",
    "CREATE INDEX ix_registry_events_stream ON registry_events (stream)",
    """
CREATE TABLE registry_documents (
    vasp_id VARCHAR(64) NOT NULL,
    sha256 VARCHAR(64) NOT NULL,
    name VARCHAR(200) NOT NULL,
    size_bytes INTEGER NOT NULL,
    content {blob} NOT NULL,
    stored_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (vasp_id, sha256),
    CONSTRAINT ck_registry_documents_size CHECK (size_bytes >= 1 AND size_bytes <= 2097152)
)
""",
    """
CREATE TABLE registry_reviews (
    event_seq BIGINT NOT NULL,
    vasp_id VARCHAR(64) NOT NULL,
    decision VARCHAR(10) NOT NULL,
    proposed_by VARCHAR(100) NOT NULL,
    approved_by VARCHAR(100) NOT NULL,
    PRIMARY KEY (event_seq),
    CONSTRAINT ck_registry_reviews_four_eyes CHECK (approved_by <> proposed_by),
    CONSTRAINT ck_registry_reviews_decision CHECK (decision IN ('grant', 'refuse'))
)
""",
    """
CREATE TABLE registry_licence_numbers (
    number VARCHAR(40) NOT NULL,
    vasp_id VARCHAR(64) NOT NULL,
    PRIMARY KEY (number)
)
""",
)

_SQLITE_TRIGGERS: Final = tuple(
    f"""
CREATE TRIGGER registry_events_no_{action.lower()} BEFORE {action} ON registry_events
BEGIN SELECT RAISE(ABORT, 'registry_events is append-only'); END
"""
    for action in ("UPDATE", "DELETE")
)

_POSTGRESQL_TRIGGERS: Final = (
    """
CREATE FUNCTION registry_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'registry_events is append-only'; END $$
""",
    """
CREATE TRIGGER registry_events_append_only BEFORE UPDATE OR DELETE ON registry_events
FOR EACH ROW EXECUTE FUNCTION registry_events_append_only()
""",
    """
CREATE TRIGGER registry_events_no_truncate BEFORE TRUNCATE ON registry_events
FOR EACH STATEMENT EXECUTE FUNCTION registry_events_append_only()
""",
)

MIGRATION: Final = Migration(2, "the register's signed event log", ddl_step(
    sqlite=tuple(s.format(blob="BLOB") for s in _TABLES) + _SQLITE_TRIGGERS,
    postgresql=tuple(s.format(blob="BYTEA") for s in _TABLES) + _POSTGRESQL_TRIGGERS,
))
