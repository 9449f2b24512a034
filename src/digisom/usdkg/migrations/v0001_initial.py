"""USDKG migration 1 (added 2026-12-07): signers, the bar register and its signed movements,
prices, audits and their bar counts, daily coverage reports.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `usdkg/tables.py` describes the result
of all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

SQLITE: Final = (
    """
CREATE TABLE usdkg_coverage_reports (
    report_date VARCHAR(10) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    report TEXT NOT NULL,
    report_sha256 VARCHAR(64) NOT NULL,
    PRIMARY KEY (report_date)
)
""",
    """
CREATE TABLE usdkg_prices (
    price_id INTEGER NOT NULL,
    source VARCHAR(32) NOT NULL,
    price_cents_per_oz BIGINT NOT NULL,
    as_of VARCHAR(32) NOT NULL,
    recorded_at VARCHAR(32) NOT NULL,
    evidence_sha256 VARCHAR(64) NOT NULL,
    PRIMARY KEY (price_id),
    CONSTRAINT usdkg_prices_positive CHECK (price_cents_per_oz > 0)
)
""",
    "CREATE INDEX ix_usdkg_prices_as_of ON usdkg_prices (as_of)",
    """
CREATE TABLE usdkg_signers (
    name VARCHAR(64) NOT NULL,
    role VARCHAR(16) NOT NULL,
    public_key BLOB NOT NULL,
    registered_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (name),
    CONSTRAINT usdkg_signers_role CHECK (role IN ('custodian', 'auditor', 'price_signer')),
    UNIQUE (public_key)
)
""",
    """
CREATE TABLE usdkg_audits (
    audit_id INTEGER NOT NULL,
    audit_date VARCHAR(10) NOT NULL,
    auditor VARCHAR(64) NOT NULL,
    imported_at VARCHAR(32) NOT NULL,
    count_sha256 VARCHAR(64) NOT NULL,
    bars_counted INTEGER NOT NULL,
    findings INTEGER NOT NULL,
    report TEXT NOT NULL,
    report_sha256 VARCHAR(64) NOT NULL,
    signature BLOB,
    signed_at VARCHAR(32),
    resolution TEXT,
    resolution_signature BLOB,
    resolved_at VARCHAR(32),
    PRIMARY KEY (audit_id),
    CONSTRAINT usdkg_audits_counts CHECK (bars_counted >= 0 AND findings >= 0),
    CONSTRAINT usdkg_audits_signed CHECK ((signature IS NULL) = (signed_at IS NULL)),
    CONSTRAINT usdkg_audits_resolved CHECK (resolved_at IS NULL OR (signed_at IS NOT NULL AND findings > 0)),
    UNIQUE (audit_date),
    FOREIGN KEY(auditor) REFERENCES usdkg_signers (name)
)
""",
    """
CREATE TABLE usdkg_bars (
    serial VARCHAR(32) NOT NULL,
    brand VARCHAR(100) NOT NULL,
    year INTEGER NOT NULL,
    gross_moz BIGINT NOT NULL,
    fineness_tenths INTEGER NOT NULL,
    fine_moz BIGINT NOT NULL,
    vault VARCHAR(64) NOT NULL,
    custodian VARCHAR(64) NOT NULL,
    status VARCHAR(16) NOT NULL,
    PRIMARY KEY (serial),
    CONSTRAINT usdkg_bars_status CHECK (status IN ('in_vault', 'in_transit', 'withdrawn')),
    CONSTRAINT usdkg_bars_gross_step CHECK (gross_moz > 0 AND gross_moz = (gross_moz / 25) * 25),
    CONSTRAINT usdkg_bars_fineness CHECK (fineness_tenths BETWEEN 9950 AND 10000),
    CONSTRAINT usdkg_bars_fine_range CHECK (fine_moz BETWEEN 350000 AND 430000),
    CONSTRAINT usdkg_bars_fine_weight CHECK (fine_moz * 10000 <= gross_moz * fineness_tenths AND gross_moz * fineness_tenths < (fine_moz + 1) * 10000),
    FOREIGN KEY(custodian) REFERENCES usdkg_signers (name)
)
""",
    """
CREATE TABLE usdkg_movements (
    movement_id INTEGER NOT NULL,
    kind VARCHAR(16) NOT NULL,
    custodian VARCHAR(64) NOT NULL,
    at VARCHAR(32) NOT NULL,
    body TEXT NOT NULL,
    signature BLOB NOT NULL,
    recorded_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (movement_id),
    CONSTRAINT usdkg_movements_kind CHECK (kind IN ('arrive', 'dispatch', 'receive', 'withdraw')),
    FOREIGN KEY(custodian) REFERENCES usdkg_signers (name)
)
""",
    """
CREATE TABLE usdkg_audit_counts (
    audit_id INTEGER NOT NULL,
    serial VARCHAR(32) NOT NULL,
    brand VARCHAR(100) NOT NULL,
    year INTEGER NOT NULL,
    gross_moz BIGINT NOT NULL,
    fineness_tenths INTEGER NOT NULL,
    fine_moz BIGINT NOT NULL,
    vault VARCHAR(64) NOT NULL,
    PRIMARY KEY (audit_id, serial),
    FOREIGN KEY(audit_id) REFERENCES usdkg_audits (audit_id)
)
""",
    """
CREATE TABLE usdkg_bar_events (
    serial VARCHAR(32) NOT NULL,
    movement_id INTEGER NOT NULL,
    at VARCHAR(32) NOT NULL,
    status VARCHAR(16) NOT NULL,
    vault VARCHAR(64) NOT NULL,
    PRIMARY KEY (serial, movement_id),
    CONSTRAINT usdkg_bar_events_status CHECK (status IN ('in_vault', 'in_transit', 'withdrawn')),
    FOREIGN KEY(serial) REFERENCES usdkg_bars (serial),
    FOREIGN KEY(movement_id) REFERENCES usdkg_movements (movement_id)
)
""",
    "CREATE INDEX ix_usdkg_bar_events_at ON usdkg_bar_events (at)",
)

POSTGRESQL: Final = (
    """
CREATE TABLE usdkg_coverage_reports (
    report_date VARCHAR(10) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    report TEXT NOT NULL,
    report_sha256 VARCHAR(64) NOT NULL,
    PRIMARY KEY (report_date)
)
""",
    """
CREATE TABLE usdkg_prices (
    price_id SERIAL NOT NULL,
    source VARCHAR(32) NOT NULL,
    price_cents_per_oz BIGINT NOT NULL,
    as_of VARCHAR(32) NOT NULL,
    recorded_at VARCHAR(32) NOT NULL,
    evidence_sha256 VARCHAR(64) NOT NULL,
    PRIMARY KEY (price_id),
    CONSTRAINT usdkg_prices_positive CHECK (price_cents_per_oz > 0)
)
""",
    "CREATE INDEX ix_usdkg_prices_as_of ON usdkg_prices (as_of)",
    """
CREATE TABLE usdkg_signers (
    name VARCHAR(64) NOT NULL,
    role VARCHAR(16) NOT NULL,
    public_key BYTEA NOT NULL,
    registered_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (name),
    CONSTRAINT usdkg_signers_role CHECK (role IN ('custodian', 'auditor', 'price_signer')),
    UNIQUE (public_key)
)
""",
    """
CREATE TABLE usdkg_audits (
    audit_id SERIAL NOT NULL,
    audit_date VARCHAR(10) NOT NULL,
    auditor VARCHAR(64) NOT NULL,
    imported_at VARCHAR(32) NOT NULL,
    count_sha256 VARCHAR(64) NOT NULL,
    bars_counted INTEGER NOT NULL,
    findings INTEGER NOT NULL,
    report TEXT NOT NULL,
    report_sha256 VARCHAR(64) NOT NULL,
    signature BYTEA,
    signed_at VARCHAR(32),
    resolution TEXT,
    resolution_signature BYTEA,
    resolved_at VARCHAR(32),
    PRIMARY KEY (audit_id),
    CONSTRAINT usdkg_audits_counts CHECK (bars_counted >= 0 AND findings >= 0),
    CONSTRAINT usdkg_audits_signed CHECK ((signature IS NULL) = (signed_at IS NULL)),
    CONSTRAINT usdkg_audits_resolved CHECK (resolved_at IS NULL OR (signed_at IS NOT NULL AND findings > 0)),
    UNIQUE (audit_date),
    FOREIGN KEY(auditor) REFERENCES usdkg_signers (name)
)
""",
    """
CREATE TABLE usdkg_bars (
    serial VARCHAR(32) NOT NULL,
    brand VARCHAR(100) NOT NULL,
    year INTEGER NOT NULL,
    gross_moz BIGINT NOT NULL,
    fineness_tenths INTEGER NOT NULL,
    fine_moz BIGINT NOT NULL,
    vault VARCHAR(64) NOT NULL,
    custodian VARCHAR(64) NOT NULL,
    status VARCHAR(16) NOT NULL,
    PRIMARY KEY (serial),
    CONSTRAINT usdkg_bars_status CHECK (status IN ('in_vault', 'in_transit', 'withdrawn')),
    CONSTRAINT usdkg_bars_gross_step CHECK (gross_moz > 0 AND gross_moz = (gross_moz / 25) * 25),
    CONSTRAINT usdkg_bars_fineness CHECK (fineness_tenths BETWEEN 9950 AND 10000),
    CONSTRAINT usdkg_bars_fine_range CHECK (fine_moz BETWEEN 350000 AND 430000),
    CONSTRAINT usdkg_bars_fine_weight CHECK (fine_moz * 10000 <= gross_moz * fineness_tenths AND gross_moz * fineness_tenths < (fine_moz + 1) * 10000),
    FOREIGN KEY(custodian) REFERENCES usdkg_signers (name)
)
""",
    """
CREATE TABLE usdkg_movements (
    movement_id SERIAL NOT NULL,
    kind VARCHAR(16) NOT NULL,
    custodian VARCHAR(64) NOT NULL,
    at VARCHAR(32) NOT NULL,
    body TEXT NOT NULL,
    signature BYTEA NOT NULL,
    recorded_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (movement_id),
    CONSTRAINT usdkg_movements_kind CHECK (kind IN ('arrive', 'dispatch', 'receive', 'withdraw')),
    FOREIGN KEY(custodian) REFERENCES usdkg_signers (name)
)
""",
    """
CREATE TABLE usdkg_audit_counts (
    audit_id INTEGER NOT NULL,
    serial VARCHAR(32) NOT NULL,
    brand VARCHAR(100) NOT NULL,
    year INTEGER NOT NULL,
    gross_moz BIGINT NOT NULL,
    fineness_tenths INTEGER NOT NULL,
    fine_moz BIGINT NOT NULL,
    vault VARCHAR(64) NOT NULL,
    PRIMARY KEY (audit_id, serial),
    FOREIGN KEY(audit_id) REFERENCES usdkg_audits (audit_id)
)
""",
    """
CREATE TABLE usdkg_bar_events (
    serial VARCHAR(32) NOT NULL,
    movement_id INTEGER NOT NULL,
    at VARCHAR(32) NOT NULL,
    status VARCHAR(16) NOT NULL,
    vault VARCHAR(64) NOT NULL,
    PRIMARY KEY (serial, movement_id),
    CONSTRAINT usdkg_bar_events_status CHECK (status IN ('in_vault', 'in_transit', 'withdrawn')),
    FOREIGN KEY(serial) REFERENCES usdkg_bars (serial),
    FOREIGN KEY(movement_id) REFERENCES usdkg_movements (movement_id)
)
""",
    "CREATE INDEX ix_usdkg_bar_events_at ON usdkg_bar_events (at)",
)


MIGRATION: Final = Migration(
    1,
    "signers, bar register, movements, prices, audits, coverage reports",
    ddl_step(sqlite=SQLITE, postgresql=POSTGRESQL),
)
