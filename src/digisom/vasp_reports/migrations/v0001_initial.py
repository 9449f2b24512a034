"""Volume reports migration 1 (added 2026-12-07): the report versions, append-only.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `vasp_reports/tables.py` describes the table,
and tests/test_migration_history.py checks the two agree. The triggers (which `tables.py`
cannot state) make the table append-only for every writer: an UPDATE, DELETE or TRUNCATE
fails with "vasp_reports_versions is append-only"."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

INDEX: Final = "CREATE INDEX ix_vasp_reports_versions_period ON vasp_reports_versions (period)"

SQLITE: Final = (
    """
CREATE TABLE vasp_reports_versions (
    vasp_id VARCHAR(64) NOT NULL,
    period VARCHAR(7) NOT NULL,
    version INTEGER NOT NULL,
    supersedes INTEGER,
    reason TEXT NOT NULL,
    report TEXT NOT NULL,
    report_sha256 VARCHAR(64) NOT NULL,
    signature BLOB NOT NULL,
    public_key BLOB NOT NULL,
    channel VARCHAR(8) NOT NULL,
    submitted_by VARCHAR(128) NOT NULL,
    received_at VARCHAR(32) NOT NULL,
    late INTEGER NOT NULL,
    PRIMARY KEY (vasp_id, period, version),
    CONSTRAINT vasp_reports_versions_chain CHECK ((version = 1 AND supersedes IS NULL AND reason = '') OR (version > 1 AND supersedes = version - 1 AND reason <> '')),
    CONSTRAINT vasp_reports_versions_late CHECK (late IN (0, 1)),
    CONSTRAINT vasp_reports_versions_channel CHECK (channel IN ('api', 'csv')),
    CONSTRAINT vasp_reports_versions_supersedes FOREIGN KEY(vasp_id, period, supersedes) REFERENCES vasp_reports_versions (vasp_id, period, version)
)
""",
    INDEX,
    """
CREATE TRIGGER vasp_reports_versions_no_update BEFORE UPDATE ON vasp_reports_versions
BEGIN SELECT RAISE(ABORT, 'vasp_reports_versions is append-only'); END
""",
    """
CREATE TRIGGER vasp_reports_versions_no_delete BEFORE DELETE ON vasp_reports_versions
BEGIN SELECT RAISE(ABORT, 'vasp_reports_versions is append-only'); END
""",
)

POSTGRESQL: Final = (
    """
CREATE TABLE vasp_reports_versions (
    vasp_id VARCHAR(64) NOT NULL,
    period VARCHAR(7) NOT NULL,
    version INTEGER NOT NULL,
    supersedes INTEGER,
    reason TEXT NOT NULL,
    report TEXT NOT NULL,
    report_sha256 VARCHAR(64) NOT NULL,
    signature BYTEA NOT NULL,
    public_key BYTEA NOT NULL,
    channel VARCHAR(8) NOT NULL,
    submitted_by VARCHAR(128) NOT NULL,
    received_at VARCHAR(32) NOT NULL,
    late INTEGER NOT NULL,
    PRIMARY KEY (vasp_id, period, version),
    CONSTRAINT vasp_reports_versions_chain CHECK ((version = 1 AND supersedes IS NULL AND reason = '') OR (version > 1 AND supersedes = version - 1 AND reason <> '')),
    CONSTRAINT vasp_reports_versions_late CHECK (late IN (0, 1)),
    CONSTRAINT vasp_reports_versions_channel CHECK (channel IN ('api', 'csv')),
    CONSTRAINT vasp_reports_versions_supersedes FOREIGN KEY(vasp_id, period, supersedes) REFERENCES vasp_reports_versions (vasp_id, period, version)
)
""",
    INDEX,
    """
CREATE FUNCTION vasp_reports_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'vasp_reports_versions is append-only';
END
$$
""",
    """
CREATE TRIGGER vasp_reports_versions_no_change BEFORE UPDATE OR DELETE ON vasp_reports_versions
FOR EACH ROW EXECUTE FUNCTION vasp_reports_append_only()
""",
    """
CREATE TRIGGER vasp_reports_versions_no_truncate BEFORE TRUNCATE ON vasp_reports_versions
FOR EACH STATEMENT EXECUTE FUNCTION vasp_reports_append_only()
""",
)

MIGRATION: Final = Migration(1, "initial", ddl_step(sqlite=SQLITE, postgresql=POSTGRESQL))
