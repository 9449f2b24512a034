"""Remittance migration 2 (added 2026-12-07): rail 2, KGST/USDKG sent to the issuer's
redemption address by an address linked to a wallet: the links, the follower's window of
token transfers (for one-hop exposure) and each inbound transfer's screening and fate.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `remittance/tables.py` describes the result
of all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

# The same DDL on SQLite and PostgreSQL (no serial keys).
DDL: Final = (
    """
CREATE TABLE remittance_chain_links (
    address_key VARCHAR(128) NOT NULL,
    address VARCHAR(128) NOT NULL,
    wallet_id VARCHAR(64) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (address_key)
)
""",
    """
CREATE TABLE remittance_chain_window (
    token VARCHAR(128) NOT NULL,
    tx_hash VARCHAR(66) NOT NULL,
    log_index INTEGER NOT NULL,
    block_number BIGINT NOT NULL,
    source_key VARCHAR(128) NOT NULL,
    to_key VARCHAR(128) NOT NULL,
    PRIMARY KEY (token, tx_hash, log_index)
)
""",
    "CREATE INDEX ix_remittance_chain_window_block ON remittance_chain_window (token, block_number)",
    "CREATE INDEX ix_remittance_chain_window_to ON remittance_chain_window (token, to_key)",
    """
CREATE TABLE remittance_chain_inbound (
    token VARCHAR(128) NOT NULL,
    tx_hash VARCHAR(66) NOT NULL,
    log_index INTEGER NOT NULL,
    block_number BIGINT NOT NULL,
    sender VARCHAR(128) NOT NULL,
    wallet_id VARCHAR(64) NOT NULL,
    amount_token_units VARCHAR(78) NOT NULL,
    decision VARCHAR(8) NOT NULL,
    reason VARCHAR(500) NOT NULL,
    status VARCHAR(16) NOT NULL,
    officer VARCHAR(200) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    updated_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (token, tx_hash, log_index),
    CONSTRAINT remittance_chain_inbound_decision CHECK (decision IN ('hit', 'review', 'clear')),
    CONSTRAINT remittance_chain_inbound_status CHECK (status IN ('passed', 'stopped', 'held', 'cleared', 'released', 'blocked')),
    CONSTRAINT remittance_chain_inbound_flow CHECK ((decision = 'clear' AND status = 'passed') OR (decision = 'hit' AND status = 'stopped') OR (decision = 'review' AND status IN ('held', 'cleared', 'released', 'blocked')))
)
""",
)

MIGRATION: Final = Migration(2, "rail 2: on-chain inbound transfers", ddl_step(sqlite=DDL, postgresql=DDL))
