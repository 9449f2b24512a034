"""Disbursement migration 2 (added 2026-11-23): tax and fee payments to the treasury.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `disbursement/tables.py` describes the result
of all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

SQLITE: Final = (
    """
CREATE TABLE disbursement_tax_payments (
    seq INTEGER NOT NULL,
    id VARCHAR(64) NOT NULL,
    operation_id VARCHAR(257) NOT NULL,
    reference VARCHAR(25) NOT NULL,
    payer_account_id VARCHAR(39) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    transfer_id VARCHAR(32) NOT NULL,
    paid_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT disbursement_tax_payments_amount CHECK (amount_tyiyn > 0),
    UNIQUE (id),
    UNIQUE (operation_id),
    UNIQUE (transfer_id)
)
""",
    "CREATE INDEX ix_disbursement_tax_payments_reference ON disbursement_tax_payments (reference)",
)

POSTGRESQL: Final = (
    """
CREATE TABLE disbursement_tax_payments (
    seq SERIAL NOT NULL,
    id VARCHAR(64) NOT NULL,
    operation_id VARCHAR(257) NOT NULL,
    reference VARCHAR(25) NOT NULL,
    payer_account_id VARCHAR(39) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    transfer_id VARCHAR(32) NOT NULL,
    paid_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT disbursement_tax_payments_amount CHECK (amount_tyiyn > 0),
    UNIQUE (id),
    UNIQUE (operation_id),
    UNIQUE (transfer_id)
)
""",
    "CREATE INDEX ix_disbursement_tax_payments_reference ON disbursement_tax_payments (reference)",
)


MIGRATION: Final = Migration(2, "tax and fee payments", ddl_step(sqlite=SQLITE, postgresql=POSTGRESQL))
