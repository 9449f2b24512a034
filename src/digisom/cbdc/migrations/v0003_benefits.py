"""Digital som migration 3 (added 2026-11-23): purpose-bound benefit schemes, accounts, payments.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `cbdc/tables.py` describes the result
of all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

SQLITE: Final = (
    """
CREATE TABLE cbdc_benefit_schemes (
    seq INTEGER NOT NULL,
    id VARCHAR(64) NOT NULL,
    operation_id VARCHAR(400) NOT NULL,
    name VARCHAR(200) NOT NULL,
    categories VARCHAR(160) NOT NULL,
    expires_on VARCHAR(10) NOT NULL,
    treasury_wallet_id VARCHAR(64) NOT NULL,
    created_by VARCHAR(200) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT cbdc_benefit_schemes_categories CHECK (length(categories) >= 4),
    CONSTRAINT cbdc_benefit_schemes_expires_on CHECK (length(expires_on) = 10),
    UNIQUE (id),
    UNIQUE (operation_id),
    FOREIGN KEY(treasury_wallet_id) REFERENCES cbdc_wallets (id)
)
""",
    """
CREATE TABLE cbdc_benefit_accounts (
    seq INTEGER NOT NULL,
    scheme_id VARCHAR(64) NOT NULL,
    wallet_id VARCHAR(64) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT cbdc_benefit_accounts_one_per_wallet UNIQUE (scheme_id, wallet_id),
    FOREIGN KEY(scheme_id) REFERENCES cbdc_benefit_schemes (id),
    FOREIGN KEY(wallet_id) REFERENCES cbdc_wallets (id)
)
""",
    "CREATE INDEX ix_cbdc_benefit_accounts_wallet_id ON cbdc_benefit_accounts (wallet_id)",
    """
CREATE TABLE cbdc_benefit_payments (
    payment_id VARCHAR(64) NOT NULL,
    scheme_id VARCHAR(64) NOT NULL,
    CONSTRAINT cbdc_benefit_payments_pk PRIMARY KEY (payment_id),
    FOREIGN KEY(payment_id) REFERENCES cbdc_payments (id),
    FOREIGN KEY(scheme_id) REFERENCES cbdc_benefit_schemes (id)
)
""",
)

POSTGRESQL: Final = (
    """
CREATE TABLE cbdc_benefit_schemes (
    seq SERIAL NOT NULL,
    id VARCHAR(64) NOT NULL,
    operation_id VARCHAR(400) NOT NULL,
    name VARCHAR(200) NOT NULL,
    categories VARCHAR(160) NOT NULL,
    expires_on VARCHAR(10) NOT NULL,
    treasury_wallet_id VARCHAR(64) NOT NULL,
    created_by VARCHAR(200) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT cbdc_benefit_schemes_categories CHECK (length(categories) >= 4),
    CONSTRAINT cbdc_benefit_schemes_expires_on CHECK (length(expires_on) = 10),
    UNIQUE (id),
    UNIQUE (operation_id),
    FOREIGN KEY(treasury_wallet_id) REFERENCES cbdc_wallets (id)
)
""",
    """
CREATE TABLE cbdc_benefit_accounts (
    seq SERIAL NOT NULL,
    scheme_id VARCHAR(64) NOT NULL,
    wallet_id VARCHAR(64) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT cbdc_benefit_accounts_one_per_wallet UNIQUE (scheme_id, wallet_id),
    FOREIGN KEY(scheme_id) REFERENCES cbdc_benefit_schemes (id),
    FOREIGN KEY(wallet_id) REFERENCES cbdc_wallets (id)
)
""",
    "CREATE INDEX ix_cbdc_benefit_accounts_wallet_id ON cbdc_benefit_accounts (wallet_id)",
    """
CREATE TABLE cbdc_benefit_payments (
    payment_id VARCHAR(64) NOT NULL,
    scheme_id VARCHAR(64) NOT NULL,
    CONSTRAINT cbdc_benefit_payments_pk PRIMARY KEY (payment_id),
    FOREIGN KEY(payment_id) REFERENCES cbdc_payments (id),
    FOREIGN KEY(scheme_id) REFERENCES cbdc_benefit_schemes (id)
)
""",
)


MIGRATION: Final = Migration(3, "purpose-bound benefits", ddl_step(sqlite=SQLITE, postgresql=POSTGRESQL))
