"""Digital som migration 2 (added 2026-11-23): the banks' alias directory, one row per number.

The unique (id, bank_code) index on wallets lets the directory's foreign key name both,
so the database refuses an alias to a wallet of another bank.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `cbdc/tables.py` describes the result
of all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

SQLITE: Final = (
    "CREATE UNIQUE INDEX cbdc_wallets_id_bank ON cbdc_wallets (id, bank_code)",
    """
CREATE TABLE cbdc_aliases (
    seq INTEGER NOT NULL,
    personal_number VARCHAR(14) NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    wallet_id VARCHAR(64),
    bank_account VARCHAR(34),
    created_at VARCHAR(32) NOT NULL,
    updated_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT cbdc_aliases_wallet_of_bank FOREIGN KEY(wallet_id, bank_code) REFERENCES cbdc_wallets (id, bank_code),
    CONSTRAINT cbdc_aliases_personal_number CHECK (length(personal_number) = 14),
    CONSTRAINT cbdc_aliases_one_destination CHECK ((wallet_id IS NULL) <> (bank_account IS NULL)),
    UNIQUE (personal_number)
)
""",
    "CREATE INDEX ix_cbdc_aliases_bank_code ON cbdc_aliases (bank_code)",
    "CREATE INDEX ix_cbdc_aliases_wallet_id ON cbdc_aliases (wallet_id)",
)

POSTGRESQL: Final = (
    "CREATE UNIQUE INDEX cbdc_wallets_id_bank ON cbdc_wallets (id, bank_code)",
    """
CREATE TABLE cbdc_aliases (
    seq SERIAL NOT NULL,
    personal_number VARCHAR(14) NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    wallet_id VARCHAR(64),
    bank_account VARCHAR(34),
    created_at VARCHAR(32) NOT NULL,
    updated_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT cbdc_aliases_wallet_of_bank FOREIGN KEY(wallet_id, bank_code) REFERENCES cbdc_wallets (id, bank_code),
    CONSTRAINT cbdc_aliases_personal_number CHECK (length(personal_number) = 14),
    CONSTRAINT cbdc_aliases_one_destination CHECK ((wallet_id IS NULL) <> (bank_account IS NULL)),
    UNIQUE (personal_number)
)
""",
    "CREATE INDEX ix_cbdc_aliases_bank_code ON cbdc_aliases (bank_code)",
    "CREATE INDEX ix_cbdc_aliases_wallet_id ON cbdc_aliases (wallet_id)",
)


MIGRATION: Final = Migration(2, "the banks' alias directory", ddl_step(sqlite=SQLITE, postgresql=POSTGRESQL))
