"""Disbursement migration 1 (added 2026-11-23): programmes, runs and payments.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `disbursement/tables.py` describes the result
of all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

SQLITE: Final = (
    """
CREATE TABLE disbursement_programmes (
    seq INTEGER NOT NULL,
    id VARCHAR(64) NOT NULL,
    name VARCHAR(200) NOT NULL,
    ledger_account_id VARCHAR(39) NOT NULL,
    budget_tyiyn BIGINT NOT NULL,
    remaining_tyiyn BIGINT NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT disbursement_programmes_budget CHECK (budget_tyiyn >= 0),
    CONSTRAINT disbursement_programmes_remaining CHECK (remaining_tyiyn >= 0 AND remaining_tyiyn <= budget_tyiyn),
    UNIQUE (id)
)
""",
    """
CREATE TABLE disbursement_runs (
    seq INTEGER NOT NULL,
    id VARCHAR(64) NOT NULL,
    programme_id VARCHAR(64) NOT NULL,
    period VARCHAR(16) NOT NULL,
    status VARCHAR(16) NOT NULL,
    uploaded_by VARCHAR(128) NOT NULL,
    approved_by VARCHAR(128),
    rows INTEGER NOT NULL,
    total_tyiyn BIGINT NOT NULL,
    batches_done INTEGER NOT NULL,
    file_sha256 VARCHAR(64) NOT NULL,
    uploaded_at VARCHAR(32) NOT NULL,
    approved_at VARCHAR(32),
    completed_at VARCHAR(32),
    PRIMARY KEY (seq),
    CONSTRAINT disbursement_runs_status CHECK (status IN ('uploaded', 'approved', 'executing', 'completed')),
    CONSTRAINT disbursement_runs_dual_control CHECK (approved_by IS NULL OR approved_by <> uploaded_by),
    CONSTRAINT disbursement_runs_total CHECK (total_tyiyn > 0 AND rows > 0),
    UNIQUE (id),
    FOREIGN KEY(programme_id) REFERENCES disbursement_programmes (id)
)
""",
    """
CREATE TABLE disbursement_payments (
    seq INTEGER NOT NULL,
    run_id VARCHAR(64) NOT NULL,
    programme_id VARCHAR(64) NOT NULL,
    period VARCHAR(16) NOT NULL,
    pin VARCHAR(14) NOT NULL,
    line INTEGER NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    name VARCHAR(200) NOT NULL,
    region VARCHAR(64) NOT NULL,
    channel VARCHAR(16) NOT NULL,
    account_id VARCHAR(39) NOT NULL,
    transfer_id VARCHAR(32) NOT NULL,
    status VARCHAR(16) NOT NULL,
    reason VARCHAR(64) NOT NULL,
    batch INTEGER,
    PRIMARY KEY (seq),
    CONSTRAINT disbursement_payments_once_per_period UNIQUE (programme_id, period, pin),
    CONSTRAINT disbursement_payments_amount CHECK (amount_tyiyn > 0),
    CONSTRAINT disbursement_payments_status CHECK (status IN ('pending', 'paid', 'unclaimed', 'rejected')),
    CONSTRAINT disbursement_payments_channel CHECK (channel IN ('wallet', 'bank_account', 'none')),
    FOREIGN KEY(run_id) REFERENCES disbursement_runs (id)
)
""",
    "CREATE INDEX disbursement_payments_by_run ON disbursement_payments (run_id, status, line)",
)

POSTGRESQL: Final = (
    """
CREATE TABLE disbursement_programmes (
    seq SERIAL NOT NULL,
    id VARCHAR(64) NOT NULL,
    name VARCHAR(200) NOT NULL,
    ledger_account_id VARCHAR(39) NOT NULL,
    budget_tyiyn BIGINT NOT NULL,
    remaining_tyiyn BIGINT NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT disbursement_programmes_budget CHECK (budget_tyiyn >= 0),
    CONSTRAINT disbursement_programmes_remaining CHECK (remaining_tyiyn >= 0 AND remaining_tyiyn <= budget_tyiyn),
    UNIQUE (id)
)
""",
    """
CREATE TABLE disbursement_runs (
    seq SERIAL NOT NULL,
    id VARCHAR(64) NOT NULL,
    programme_id VARCHAR(64) NOT NULL,
    period VARCHAR(16) NOT NULL,
    status VARCHAR(16) NOT NULL,
    uploaded_by VARCHAR(128) NOT NULL,
    approved_by VARCHAR(128),
    rows INTEGER NOT NULL,
    total_tyiyn BIGINT NOT NULL,
    batches_done INTEGER NOT NULL,
    file_sha256 VARCHAR(64) NOT NULL,
    uploaded_at VARCHAR(32) NOT NULL,
    approved_at VARCHAR(32),
    completed_at VARCHAR(32),
    PRIMARY KEY (seq),
    CONSTRAINT disbursement_runs_status CHECK (status IN ('uploaded', 'approved', 'executing', 'completed')),
    CONSTRAINT disbursement_runs_dual_control CHECK (approved_by IS NULL OR approved_by <> uploaded_by),
    CONSTRAINT disbursement_runs_total CHECK (total_tyiyn > 0 AND rows > 0),
    UNIQUE (id),
    FOREIGN KEY(programme_id) REFERENCES disbursement_programmes (id)
)
""",
    """
CREATE TABLE disbursement_payments (
    seq SERIAL NOT NULL,
    run_id VARCHAR(64) NOT NULL,
    programme_id VARCHAR(64) NOT NULL,
    period VARCHAR(16) NOT NULL,
    pin VARCHAR(14) NOT NULL,
    line INTEGER NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    name VARCHAR(200) NOT NULL,
    region VARCHAR(64) NOT NULL,
    channel VARCHAR(16) NOT NULL,
    account_id VARCHAR(39) NOT NULL,
    transfer_id VARCHAR(32) NOT NULL,
    status VARCHAR(16) NOT NULL,
    reason VARCHAR(64) NOT NULL,
    batch INTEGER,
    PRIMARY KEY (seq),
    CONSTRAINT disbursement_payments_once_per_period UNIQUE (programme_id, period, pin),
    CONSTRAINT disbursement_payments_amount CHECK (amount_tyiyn > 0),
    CONSTRAINT disbursement_payments_status CHECK (status IN ('pending', 'paid', 'unclaimed', 'rejected')),
    CONSTRAINT disbursement_payments_channel CHECK (channel IN ('wallet', 'bank_account', 'none')),
    FOREIGN KEY(run_id) REFERENCES disbursement_runs (id)
)
""",
    "CREATE INDEX disbursement_payments_by_run ON disbursement_payments (run_id, status, line)",
)


MIGRATION: Final = Migration(1, "programmes, runs and payments", ddl_step(sqlite=SQLITE, postgresql=POSTGRESQL))
