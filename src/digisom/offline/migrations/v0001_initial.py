"""Offline migration 1 (added 2026-11-23): registry, settlement book, revocations.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `offline/tables.py` describes the result
of all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

SQLITE: Final = (
    """
CREATE TABLE offline_claims (
    run_id INTEGER NOT NULL,
    device_key_id BLOB NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    PRIMARY KEY (run_id, device_key_id),
    CONSTRAINT offline_claims_amount_positive CHECK (amount_tyiyn > 0)
)
""",
    """
CREATE TABLE offline_defunds (
    run_id INTEGER NOT NULL,
    device_key_id BLOB NOT NULL,
    wallet_id VARCHAR(64) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    PRIMARY KEY (run_id),
    CONSTRAINT offline_defunds_amount_positive CHECK (amount_tyiyn > 0)
)
""",
    """
CREATE TABLE offline_device_books (
    key_id BLOB NOT NULL,
    reserve_paid_tyiyn BIGINT NOT NULL,
    guarantee_paid_tyiyn BIGINT NOT NULL,
    defunded_tyiyn BIGINT NOT NULL,
    findings TEXT NOT NULL,
    PRIMARY KEY (key_id),
    CONSTRAINT offline_device_books_non_negative CHECK (reserve_paid_tyiyn >= 0 AND guarantee_paid_tyiyn >= 0 AND defunded_tyiyn >= 0)
)
""",
    """
CREATE TABLE offline_devices (
    key_id BLOB NOT NULL,
    public_key BLOB NOT NULL,
    wallet_id VARCHAR(64) NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    certificate BLOB NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (key_id),
    UNIQUE (public_key)
)
""",
    "CREATE INDEX ix_offline_devices_wallet_id ON offline_devices (wallet_id)",
    """
CREATE TABLE offline_fundings (
    operation_id VARCHAR(400) NOT NULL,
    device_key_id BLOB NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (operation_id),
    CONSTRAINT offline_fundings_amount_positive CHECK (amount_tyiyn > 0)
)
""",
    "CREATE INDEX ix_offline_fundings_device_key_id ON offline_fundings (device_key_id)",
    """
CREATE TABLE offline_payments (
    payer_key_id BLOB NOT NULL,
    counter BIGINT NOT NULL,
    payment_hash BLOB NOT NULL,
    previous_hash BLOB NOT NULL,
    payee_id BLOB NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    cumulative_tyiyn BIGINT NOT NULL,
    verdict VARCHAR(16),
    reserve_tyiyn BIGINT NOT NULL,
    guarantee_tyiyn BIGINT NOT NULL,
    run_id INTEGER NOT NULL,
    PRIMARY KEY (payer_key_id, counter, payment_hash),
    CONSTRAINT offline_payments_amount_positive CHECK (amount_tyiyn > 0),
    CONSTRAINT offline_payments_full_or_nothing CHECK (reserve_tyiyn + guarantee_tyiyn IN (0, amount_tyiyn))
)
""",
    "CREATE INDEX ix_offline_payments_run_id ON offline_payments (run_id)",
    """
CREATE TABLE offline_revocation_lists (
    sequence INTEGER NOT NULL,
    encoded BLOB NOT NULL,
    issued_at_s BIGINT NOT NULL,
    PRIMARY KEY (sequence)
)
""",
    """
CREATE TABLE offline_revocations (
    key_id BLOB NOT NULL,
    sequence INTEGER NOT NULL,
    reason VARCHAR(64) NOT NULL,
    PRIMARY KEY (key_id)
)
""",
    """
CREATE TABLE offline_runs (
    id INTEGER NOT NULL,
    device_key_id BLOB NOT NULL,
    status VARCHAR(16) NOT NULL,
    payments INTEGER NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT offline_runs_status CHECK (status IN ('pending', 'posted'))
)
""",
    """
CREATE TABLE offline_signing_keys (
    key_id BLOB NOT NULL,
    role INTEGER NOT NULL,
    bank_code VARCHAR(16),
    seed BLOB NOT NULL,
    certificate BLOB NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (key_id),
    UNIQUE (bank_code)
)
""",
)

POSTGRESQL: Final = (
    """
CREATE TABLE offline_claims (
    run_id INTEGER NOT NULL,
    device_key_id BYTEA NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    PRIMARY KEY (run_id, device_key_id),
    CONSTRAINT offline_claims_amount_positive CHECK (amount_tyiyn > 0)
)
""",
    """
CREATE TABLE offline_defunds (
    run_id INTEGER NOT NULL,
    device_key_id BYTEA NOT NULL,
    wallet_id VARCHAR(64) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    PRIMARY KEY (run_id),
    CONSTRAINT offline_defunds_amount_positive CHECK (amount_tyiyn > 0)
)
""",
    """
CREATE TABLE offline_device_books (
    key_id BYTEA NOT NULL,
    reserve_paid_tyiyn BIGINT NOT NULL,
    guarantee_paid_tyiyn BIGINT NOT NULL,
    defunded_tyiyn BIGINT NOT NULL,
    findings TEXT NOT NULL,
    PRIMARY KEY (key_id),
    CONSTRAINT offline_device_books_non_negative CHECK (reserve_paid_tyiyn >= 0 AND guarantee_paid_tyiyn >= 0 AND defunded_tyiyn >= 0)
)
""",
    """
CREATE TABLE offline_devices (
    key_id BYTEA NOT NULL,
    public_key BYTEA NOT NULL,
    wallet_id VARCHAR(64) NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    certificate BYTEA NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (key_id),
    UNIQUE (public_key)
)
""",
    "CREATE INDEX ix_offline_devices_wallet_id ON offline_devices (wallet_id)",
    """
CREATE TABLE offline_fundings (
    operation_id VARCHAR(400) NOT NULL,
    device_key_id BYTEA NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (operation_id),
    CONSTRAINT offline_fundings_amount_positive CHECK (amount_tyiyn > 0)
)
""",
    "CREATE INDEX ix_offline_fundings_device_key_id ON offline_fundings (device_key_id)",
    """
CREATE TABLE offline_payments (
    payer_key_id BYTEA NOT NULL,
    counter BIGINT NOT NULL,
    payment_hash BYTEA NOT NULL,
    previous_hash BYTEA NOT NULL,
    payee_id BYTEA NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    cumulative_tyiyn BIGINT NOT NULL,
    verdict VARCHAR(16),
    reserve_tyiyn BIGINT NOT NULL,
    guarantee_tyiyn BIGINT NOT NULL,
    run_id INTEGER NOT NULL,
    PRIMARY KEY (payer_key_id, counter, payment_hash),
    CONSTRAINT offline_payments_amount_positive CHECK (amount_tyiyn > 0),
    CONSTRAINT offline_payments_full_or_nothing CHECK (reserve_tyiyn + guarantee_tyiyn IN (0, amount_tyiyn))
)
""",
    "CREATE INDEX ix_offline_payments_run_id ON offline_payments (run_id)",
    """
CREATE TABLE offline_revocation_lists (
    sequence INTEGER NOT NULL,
    encoded BYTEA NOT NULL,
    issued_at_s BIGINT NOT NULL,
    PRIMARY KEY (sequence)
)
""",
    """
CREATE TABLE offline_revocations (
    key_id BYTEA NOT NULL,
    sequence INTEGER NOT NULL,
    reason VARCHAR(64) NOT NULL,
    PRIMARY KEY (key_id)
)
""",
    """
CREATE TABLE offline_runs (
    id SERIAL NOT NULL,
    device_key_id BYTEA NOT NULL,
    status VARCHAR(16) NOT NULL,
    payments INTEGER NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT offline_runs_status CHECK (status IN ('pending', 'posted'))
)
""",
    """
CREATE TABLE offline_signing_keys (
    key_id BYTEA NOT NULL,
    role INTEGER NOT NULL,
    bank_code VARCHAR(16),
    seed BYTEA NOT NULL,
    certificate BYTEA NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (key_id),
    UNIQUE (bank_code)
)
""",
)


MIGRATION: Final = Migration(
    1, "offline registry, settlement book, revocations", ddl_step(sqlite=SQLITE, postgresql=POSTGRESQL)
)
