"""Digital som migration 4 (added 2026-12-07): aliases registered per bank, so no bank
learns that another holds a number.

A new table, not an ALTER: SQLite cannot drop a UNIQUE constraint in place. Rows move
over in their order (earliest first), so resolution keeps its answers; then the old
table goes.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `cbdc/tables.py` describes the result
of all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

_MOVE_ROWS: Final = (
    "INSERT INTO cbdc_alias_registrations (personal_number, bank_code, wallet_id, bank_account, created_at, updated_at) "
    "SELECT personal_number, bank_code, wallet_id, bank_account, created_at, updated_at FROM cbdc_aliases ORDER BY seq",
    "DROP TABLE cbdc_aliases",
)

_CREATE_SQLITE: Final = (
    """
CREATE TABLE cbdc_alias_registrations (
    seq INTEGER NOT NULL,
    personal_number VARCHAR(14) NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    wallet_id VARCHAR(64),
    bank_account VARCHAR(34),
    created_at VARCHAR(32) NOT NULL,
    updated_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT cbdc_alias_registrations_one_per_bank UNIQUE (personal_number, bank_code),
    CONSTRAINT cbdc_alias_registrations_wallet_of_bank FOREIGN KEY(wallet_id, bank_code) REFERENCES cbdc_wallets (id, bank_code),
    CONSTRAINT cbdc_alias_registrations_personal_number CHECK (length(personal_number) = 14),
    CONSTRAINT cbdc_alias_registrations_one_destination CHECK ((wallet_id IS NULL) <> (bank_account IS NULL))
)
""",
    "CREATE INDEX ix_cbdc_alias_registrations_bank_code ON cbdc_alias_registrations (bank_code)",
    "CREATE INDEX ix_cbdc_alias_registrations_wallet_id ON cbdc_alias_registrations (wallet_id)",
)

_CREATE_POSTGRESQL: Final = (
    """
CREATE TABLE cbdc_alias_registrations (
    seq SERIAL NOT NULL,
    personal_number VARCHAR(14) NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    wallet_id VARCHAR(64),
    bank_account VARCHAR(34),
    created_at VARCHAR(32) NOT NULL,
    updated_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT cbdc_alias_registrations_one_per_bank UNIQUE (personal_number, bank_code),
    CONSTRAINT cbdc_alias_registrations_wallet_of_bank FOREIGN KEY(wallet_id, bank_code) REFERENCES cbdc_wallets (id, bank_code),
    CONSTRAINT cbdc_alias_registrations_personal_number CHECK (length(personal_number) = 14),
    CONSTRAINT cbdc_alias_registrations_one_destination CHECK ((wallet_id IS NULL) <> (bank_account IS NULL))
)
""",
    "CREATE INDEX ix_cbdc_alias_registrations_bank_code ON cbdc_alias_registrations (bank_code)",
    "CREATE INDEX ix_cbdc_alias_registrations_wallet_id ON cbdc_alias_registrations (wallet_id)",
)


SQLITE: Final = (*_CREATE_SQLITE, *_MOVE_ROWS)
POSTGRESQL: Final = (*_CREATE_POSTGRESQL, *_MOVE_ROWS)

MIGRATION: Final = Migration(
    4, "aliases registered per bank (no bank learns another's)", ddl_step(sqlite=SQLITE, postgresql=POSTGRESQL)
)
