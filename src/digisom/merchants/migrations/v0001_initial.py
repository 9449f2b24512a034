"""Merchant invoices migration 1 (added 2026-12-07): invoices, payments, moves, cursor.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `merchants/tables.py` describes the result of
all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

_DDL: Final = (
    """
CREATE TABLE merchant_invoices (
    invoice_id VARCHAR(64) NOT NULL,
    merchant_id VARCHAR(64) NOT NULL,
    idempotency_key VARCHAR(64) NOT NULL,
    wallet_id VARCHAR(64) NOT NULL,
    bank_code VARCHAR(64) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    asset VARCHAR(8) NOT NULL,
    chain_id BIGINT NOT NULL,
    token_address VARCHAR(42) NOT NULL,
    pay_address VARCHAR(42) NOT NULL,
    pay_units VARCHAR(78) NOT NULL,
    decimals INTEGER NOT NULL,
    rate_som_e6 BIGINT,
    description VARCHAR(500) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    expires_at VARCHAR(32) NOT NULL,
    status VARCHAR(16) NOT NULL,
    reason VARCHAR(500) NOT NULL,
    settled_tyiyn BIGINT NOT NULL,
    updated_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (invoice_id),
    UNIQUE (pay_address),
    CONSTRAINT merchant_invoices_idempotency UNIQUE (merchant_id, idempotency_key),
    CONSTRAINT merchant_invoices_amount CHECK (amount_tyiyn > 0),
    CONSTRAINT merchant_invoices_asset CHECK (asset IN ('KGST', 'USDKG')),
    CONSTRAINT merchant_invoices_status CHECK (status IN ('open', 'underpaid', 'paid', 'settling', 'settled', 'expired', 'refund_due', 'refunding', 'refunded', 'stopped', 'failed')),
    CONSTRAINT merchant_invoices_settled CHECK ((status = 'settled' AND settled_tyiyn = amount_tyiyn) OR (status <> 'settled' AND settled_tyiyn = 0)),
    CONSTRAINT merchant_invoices_rate CHECK (asset = 'KGST' OR rate_som_e6 > 0),
    CONSTRAINT merchant_invoices_pay_units CHECK (length(pay_units) BETWEEN 1 AND 78)
)
""",
    "CREATE INDEX ix_merchant_invoices_bank_code ON merchant_invoices (bank_code)",
    "CREATE INDEX ix_merchant_invoices_status ON merchant_invoices (status)",
    """
CREATE TABLE merchant_payments (
    chain_id BIGINT NOT NULL,
    tx_hash VARCHAR(66) NOT NULL,
    log_index INTEGER NOT NULL,
    invoice_id VARCHAR(64) NOT NULL,
    block_number BIGINT NOT NULL,
    sender VARCHAR(42) NOT NULL,
    amount_units VARCHAR(78) NOT NULL,
    seen_at VARCHAR(32) NOT NULL,
    late INTEGER NOT NULL,
    screening VARCHAR(8) NOT NULL,
    reason VARCHAR(500) NOT NULL,
    PRIMARY KEY (chain_id, tx_hash, log_index),
    CONSTRAINT merchant_payments_late CHECK (late IN (0, 1)),
    CONSTRAINT merchant_payments_screening CHECK (screening IN ('', 'clear', 'hit', 'review')),
    CONSTRAINT merchant_payments_amount CHECK (length(amount_units) BETWEEN 1 AND 78)
)
""",
    "CREATE INDEX ix_merchant_payments_invoice_id ON merchant_payments (invoice_id)",
    """
CREATE TABLE merchant_moves (
    move_id VARCHAR(200) NOT NULL,
    invoice_id VARCHAR(64) NOT NULL,
    kind VARCHAR(8) NOT NULL,
    source VARCHAR(42) NOT NULL,
    to_address VARCHAR(42) NOT NULL,
    amount_units VARCHAR(78) NOT NULL,
    nonce VARCHAR(66) NOT NULL,
    valid_after VARCHAR(78) NOT NULL,
    valid_before VARCHAR(78) NOT NULL,
    signature VARCHAR(132) NOT NULL,
    state VARCHAR(10) NOT NULL,
    tx_hash VARCHAR(66) NOT NULL,
    reason VARCHAR(500) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    updated_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (move_id),
    CONSTRAINT merchant_moves_nonce UNIQUE (source, nonce),
    CONSTRAINT merchant_moves_kind CHECK (kind IN ('sweep', 'refund', 'payer')),
    CONSTRAINT merchant_moves_state CHECK (state IN ('signed', 'sent', 'confirmed', 'failed'))
)
""",
    "CREATE INDEX ix_merchant_moves_invoice_id ON merchant_moves (invoice_id)",
    """
CREATE TABLE merchant_cursor_blocks (
    token VARCHAR(64) NOT NULL,
    number BIGINT NOT NULL,
    hash VARCHAR(66) NOT NULL,
    parent_hash VARCHAR(66) NOT NULL,
    PRIMARY KEY (token, number)
)
""",
)

MIGRATION: Final = Migration(1, "merchant invoices, payments, moves and the follower's cursor",
                             ddl_step(sqlite=_DDL, postgresql=_DDL))
