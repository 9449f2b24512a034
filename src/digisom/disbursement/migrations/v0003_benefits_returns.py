"""Disbursement migration 3 (added 2026-11-23): programmes' benefit scheme; payments'
attempt number and the `returned` status; the returns and repayments tables.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `disbursement/tables.py` describes the result
of all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

_PROGRAMMES_BENEFIT_SCHEME: Final = (
    "ALTER TABLE disbursement_programmes ADD COLUMN benefit_scheme VARCHAR(64) NOT NULL DEFAULT ''"
)

# SQLite cannot alter a CHECK: the payments table is built anew with its new constraints,
# the rows copied over (attempt 0 each), the old table dropped and its one index recreated.
_PAYMENTS_SQLITE: Final = (
    "DROP INDEX disbursement_payments_by_run",
    "ALTER TABLE disbursement_payments RENAME TO disbursement_payments_before_3",
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
    attempt INTEGER DEFAULT '0' NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT disbursement_payments_once_per_period UNIQUE (programme_id, period, pin),
    CONSTRAINT disbursement_payments_amount CHECK (amount_tyiyn > 0),
    CONSTRAINT disbursement_payments_status CHECK (status IN ('pending', 'paid', 'unclaimed', 'rejected', 'returned')),
    CONSTRAINT disbursement_payments_attempt CHECK (attempt >= 0),
    CONSTRAINT disbursement_payments_channel CHECK (channel IN ('wallet', 'bank_account', 'none')),
    FOREIGN KEY(run_id) REFERENCES disbursement_runs (id)
)
""",
    "INSERT INTO disbursement_payments (seq, run_id, programme_id, period, pin, line, amount_tyiyn, name, region, channel, account_id, transfer_id, status, reason, batch) "
    "SELECT seq, run_id, programme_id, period, pin, line, amount_tyiyn, name, region, channel, account_id, transfer_id, status, reason, batch FROM disbursement_payments_before_3",
    "DROP TABLE disbursement_payments_before_3",
    "CREATE INDEX disbursement_payments_by_run ON disbursement_payments (run_id, status, line)",
)

_PAYMENTS_POSTGRESQL: Final = (
    "ALTER TABLE disbursement_payments ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE disbursement_payments DROP CONSTRAINT disbursement_payments_status, "
    "ADD CONSTRAINT disbursement_payments_status "
    "CHECK (status IN ('pending', 'paid', 'unclaimed', 'rejected', 'returned')), "
    "ADD CONSTRAINT disbursement_payments_attempt CHECK (attempt >= 0)",
)

_RETURNS_SQLITE: Final = (
    """
CREATE TABLE disbursement_repayments (
    seq INTEGER NOT NULL,
    id VARCHAR(64) NOT NULL,
    run_id VARCHAR(64) NOT NULL,
    requested_by VARCHAR(128) NOT NULL,
    recipients INTEGER NOT NULL,
    total_tyiyn BIGINT NOT NULL,
    requested_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT disbursement_repayments_totals CHECK (recipients >= 0 AND total_tyiyn >= 0),
    UNIQUE (id),
    FOREIGN KEY(run_id) REFERENCES disbursement_runs (id)
)
""",
    """
CREATE TABLE disbursement_returns (
    seq INTEGER NOT NULL,
    id VARCHAR(64) NOT NULL,
    payment_seq INTEGER NOT NULL,
    run_id VARCHAR(64) NOT NULL,
    pin VARCHAR(14) NOT NULL,
    attempt INTEGER NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    reason VARCHAR(64) NOT NULL,
    returned_transfer_id VARCHAR(32) NOT NULL,
    transfer_id VARCHAR(32) NOT NULL,
    recorded_by VARCHAR(128) NOT NULL,
    recorded_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT disbursement_returns_once_per_attempt UNIQUE (payment_seq, attempt),
    CONSTRAINT disbursement_returns_amount CHECK (amount_tyiyn > 0),
    CONSTRAINT disbursement_returns_reason CHECK (reason <> ''),
    UNIQUE (id),
    FOREIGN KEY(payment_seq) REFERENCES disbursement_payments (seq),
    UNIQUE (transfer_id)
)
""",
    "CREATE INDEX disbursement_returns_by_run ON disbursement_returns (run_id)",
)

_RETURNS_POSTGRESQL: Final = (
    """
CREATE TABLE disbursement_repayments (
    seq SERIAL NOT NULL,
    id VARCHAR(64) NOT NULL,
    run_id VARCHAR(64) NOT NULL,
    requested_by VARCHAR(128) NOT NULL,
    recipients INTEGER NOT NULL,
    total_tyiyn BIGINT NOT NULL,
    requested_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT disbursement_repayments_totals CHECK (recipients >= 0 AND total_tyiyn >= 0),
    UNIQUE (id),
    FOREIGN KEY(run_id) REFERENCES disbursement_runs (id)
)
""",
    """
CREATE TABLE disbursement_returns (
    seq SERIAL NOT NULL,
    id VARCHAR(64) NOT NULL,
    payment_seq INTEGER NOT NULL,
    run_id VARCHAR(64) NOT NULL,
    pin VARCHAR(14) NOT NULL,
    attempt INTEGER NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    reason VARCHAR(64) NOT NULL,
    returned_transfer_id VARCHAR(32) NOT NULL,
    transfer_id VARCHAR(32) NOT NULL,
    recorded_by VARCHAR(128) NOT NULL,
    recorded_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT disbursement_returns_once_per_attempt UNIQUE (payment_seq, attempt),
    CONSTRAINT disbursement_returns_amount CHECK (amount_tyiyn > 0),
    CONSTRAINT disbursement_returns_reason CHECK (reason <> ''),
    UNIQUE (id),
    FOREIGN KEY(payment_seq) REFERENCES disbursement_payments (seq),
    UNIQUE (transfer_id)
)
""",
    "CREATE INDEX disbursement_returns_by_run ON disbursement_returns (run_id)",
)

SQLITE: Final = (_PROGRAMMES_BENEFIT_SCHEME, *_PAYMENTS_SQLITE, *_RETURNS_SQLITE)
POSTGRESQL: Final = (_PROGRAMMES_BENEFIT_SCHEME, *_PAYMENTS_POSTGRESQL, *_RETURNS_POSTGRESQL)

MIGRATION: Final = Migration(
    3, "benefit schemes, payment attempts and returns", ddl_step(sqlite=SQLITE, postgresql=POSTGRESQL)
)
