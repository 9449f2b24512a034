"""Bridge migration 1 (added 2026-11-23): operations, attempts, address links, cursor, reserve reports.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `stablecoin/tables.py` describes the result
of all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

SQLITE: Final = (
    """
CREATE TABLE stablecoin_address_links (
    address VARCHAR(42) NOT NULL,
    wallet_id VARCHAR(64) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (address)
)
""",
    """
CREATE TABLE stablecoin_cursor_blocks (
    token VARCHAR(64) NOT NULL,
    number BIGINT NOT NULL,
    hash VARCHAR(66) NOT NULL,
    parent_hash VARCHAR(66) NOT NULL,
    PRIMARY KEY (token, number)
)
""",
    """
CREATE TABLE stablecoin_operations (
    seq INTEGER NOT NULL,
    id VARCHAR(200) NOT NULL,
    token VARCHAR(64) NOT NULL,
    kind VARCHAR(8) NOT NULL,
    state VARCHAR(24) NOT NULL,
    wallet_id VARCHAR(64),
    address VARCHAR(42) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    amount_token_units VARCHAR(78) NOT NULL,
    tx_hash VARCHAR(66),
    nonce BIGINT,
    raw_tx TEXT,
    source_tx_hash VARCHAR(66),
    source_log_index INTEGER,
    source_block BIGINT,
    failure VARCHAR(400),
    created_at VARCHAR(32) NOT NULL,
    updated_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT stablecoin_operations_kind CHECK (kind IN ('mint', 'redeem')),
    CONSTRAINT stablecoin_operations_state CHECK (state IN ('requested', 'pending_in_ledger', 'sent', 'confirmed', 'posted', 'failed', 'voided', 'rejected', 'unmatched')),
    CONSTRAINT stablecoin_operations_amount CHECK (amount_tyiyn >= 0),
    CONSTRAINT stablecoin_operations_source UNIQUE (source_tx_hash, source_log_index),
    UNIQUE (id)
)
""",
    "CREATE INDEX ix_stablecoin_operations_state ON stablecoin_operations (state)",
    "CREATE INDEX ix_stablecoin_operations_token ON stablecoin_operations (token)",
    """
CREATE TABLE stablecoin_reserve_reports (
    seq INTEGER NOT NULL,
    chain_id BIGINT NOT NULL,
    token_address VARCHAR(42) NOT NULL,
    decimals INTEGER NOT NULL,
    supply_token_units VARCHAR(78) NOT NULL,
    supply_tyiyn BIGINT,
    reserve_tyiyn BIGINT NOT NULL,
    mint_in_flight_tyiyn BIGINT NOT NULL,
    redeem_in_flight_tyiyn BIGINT NOT NULL,
    minter_allowance_token_units VARCHAR(78) NOT NULL,
    balanced INTEGER NOT NULL,
    at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq)
)
""",
    "CREATE INDEX ix_stablecoin_reserve_reports_token_address ON stablecoin_reserve_reports (token_address)",
    """
CREATE TABLE stablecoin_tx_attempts (
    tx_hash VARCHAR(66) NOT NULL,
    operation_id VARCHAR(200) NOT NULL,
    sender VARCHAR(42) NOT NULL,
    nonce BIGINT NOT NULL,
    raw_tx TEXT NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (tx_hash)
)
""",
    "CREATE INDEX ix_stablecoin_tx_attempts_operation_id ON stablecoin_tx_attempts (operation_id)",
    "CREATE INDEX stablecoin_tx_attempts_sender_nonce ON stablecoin_tx_attempts (sender, nonce)",
)

POSTGRESQL: Final = (
    """
CREATE TABLE stablecoin_address_links (
    address VARCHAR(42) NOT NULL,
    wallet_id VARCHAR(64) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (address)
)
""",
    """
CREATE TABLE stablecoin_cursor_blocks (
    token VARCHAR(64) NOT NULL,
    number BIGINT NOT NULL,
    hash VARCHAR(66) NOT NULL,
    parent_hash VARCHAR(66) NOT NULL,
    PRIMARY KEY (token, number)
)
""",
    """
CREATE TABLE stablecoin_operations (
    seq SERIAL NOT NULL,
    id VARCHAR(200) NOT NULL,
    token VARCHAR(64) NOT NULL,
    kind VARCHAR(8) NOT NULL,
    state VARCHAR(24) NOT NULL,
    wallet_id VARCHAR(64),
    address VARCHAR(42) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    amount_token_units VARCHAR(78) NOT NULL,
    tx_hash VARCHAR(66),
    nonce BIGINT,
    raw_tx TEXT,
    source_tx_hash VARCHAR(66),
    source_log_index INTEGER,
    source_block BIGINT,
    failure VARCHAR(400),
    created_at VARCHAR(32) NOT NULL,
    updated_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT stablecoin_operations_kind CHECK (kind IN ('mint', 'redeem')),
    CONSTRAINT stablecoin_operations_state CHECK (state IN ('requested', 'pending_in_ledger', 'sent', 'confirmed', 'posted', 'failed', 'voided', 'rejected', 'unmatched')),
    CONSTRAINT stablecoin_operations_amount CHECK (amount_tyiyn >= 0),
    CONSTRAINT stablecoin_operations_source UNIQUE (source_tx_hash, source_log_index),
    UNIQUE (id)
)
""",
    "CREATE INDEX ix_stablecoin_operations_state ON stablecoin_operations (state)",
    "CREATE INDEX ix_stablecoin_operations_token ON stablecoin_operations (token)",
    """
CREATE TABLE stablecoin_reserve_reports (
    seq SERIAL NOT NULL,
    chain_id BIGINT NOT NULL,
    token_address VARCHAR(42) NOT NULL,
    decimals INTEGER NOT NULL,
    supply_token_units VARCHAR(78) NOT NULL,
    supply_tyiyn BIGINT,
    reserve_tyiyn BIGINT NOT NULL,
    mint_in_flight_tyiyn BIGINT NOT NULL,
    redeem_in_flight_tyiyn BIGINT NOT NULL,
    minter_allowance_token_units VARCHAR(78) NOT NULL,
    balanced INTEGER NOT NULL,
    at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq)
)
""",
    "CREATE INDEX ix_stablecoin_reserve_reports_token_address ON stablecoin_reserve_reports (token_address)",
    """
CREATE TABLE stablecoin_tx_attempts (
    tx_hash VARCHAR(66) NOT NULL,
    operation_id VARCHAR(200) NOT NULL,
    sender VARCHAR(42) NOT NULL,
    nonce BIGINT NOT NULL,
    raw_tx TEXT NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (tx_hash)
)
""",
    "CREATE INDEX ix_stablecoin_tx_attempts_operation_id ON stablecoin_tx_attempts (operation_id)",
    "CREATE INDEX stablecoin_tx_attempts_sender_nonce ON stablecoin_tx_attempts (sender, nonce)",
)


MIGRATION: Final = Migration(
    1, "operations, attempts, address links, cursor, reserve reports", ddl_step(sqlite=SQLITE, postgresql=POSTGRESQL)
)
