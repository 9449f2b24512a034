"""Digital som migration 1 (added 2026-11-23): participants, wallets, payments, issuance, idempotency keys.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `cbdc/tables.py` describes the result
of all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

SQLITE: Final = (
    """
CREATE TABLE cbdc_idempotency_keys (
    principal VARCHAR(200) NOT NULL,
    "key" VARCHAR(256) NOT NULL,
    fingerprint VARCHAR(64) NOT NULL,
    status_code INTEGER NOT NULL,
    content_type VARCHAR(64) NOT NULL,
    body TEXT NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (principal, "key")
)
""",
    """
CREATE TABLE cbdc_issuance_events (
    seq INTEGER NOT NULL,
    id VARCHAR(64) NOT NULL,
    operation_id VARCHAR(400) NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    status VARCHAR(16) NOT NULL,
    failure TEXT,
    day VARCHAR(10) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT cbdc_issuance_events_amount_positive CHECK (amount_tyiyn > 0),
    CONSTRAINT cbdc_issuance_events_kind CHECK (kind IN ('reserve_credit', 'issue', 'redeem')),
    CONSTRAINT cbdc_issuance_events_status CHECK (status IN ('pending', 'completed', 'failed')),
    UNIQUE (id),
    UNIQUE (operation_id)
)
""",
    "CREATE INDEX ix_cbdc_issuance_events_day ON cbdc_issuance_events (day)",
    """
CREATE TABLE cbdc_participants (
    seq INTEGER NOT NULL,
    id VARCHAR(64) NOT NULL,
    kind VARCHAR(32) NOT NULL,
    name VARCHAR(200) NOT NULL,
    bank_code VARCHAR(16),
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    UNIQUE (id),
    UNIQUE (bank_code)
)
""",
    """
CREATE TABLE cbdc_wallets (
    seq INTEGER NOT NULL,
    id VARCHAR(64) NOT NULL,
    operation_id VARCHAR(400) NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    holder_id VARCHAR(64) NOT NULL,
    holder_kind VARCHAR(16) NOT NULL,
    tier INTEGER NOT NULL,
    status VARCHAR(16) NOT NULL,
    merchant_name VARCHAR(32),
    merchant_city VARCHAR(32),
    mcc VARCHAR(4),
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT cbdc_wallets_status CHECK (status IN ('active', 'frozen', 'closing', 'closed')),
    CONSTRAINT cbdc_wallets_tier CHECK (tier >= 0),
    UNIQUE (id),
    UNIQUE (operation_id)
)
""",
    "CREATE INDEX ix_cbdc_wallets_bank_code ON cbdc_wallets (bank_code)",
    """
CREATE TABLE cbdc_identities (
    wallet_id VARCHAR(64) NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    full_name VARCHAR(200) NOT NULL,
    phone VARCHAR(20) NOT NULL,
    pin_hash VARCHAR(128) NOT NULL,
    PRIMARY KEY (wallet_id),
    FOREIGN KEY(wallet_id) REFERENCES cbdc_wallets (id)
)
""",
    """
CREATE TABLE cbdc_payment_requests (
    seq INTEGER NOT NULL,
    id VARCHAR(64) NOT NULL,
    operation_id VARCHAR(400) NOT NULL,
    payee_wallet_id VARCHAR(64) NOT NULL,
    payer_wallet_id VARCHAR(64) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    message VARCHAR(200),
    status VARCHAR(16) NOT NULL,
    payment_id VARCHAR(64),
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT cbdc_payment_requests_amount_positive CHECK (amount_tyiyn > 0),
    CONSTRAINT cbdc_payment_requests_status CHECK (status IN ('open', 'paid', 'declined')),
    UNIQUE (id),
    UNIQUE (operation_id),
    FOREIGN KEY(payee_wallet_id) REFERENCES cbdc_wallets (id),
    FOREIGN KEY(payer_wallet_id) REFERENCES cbdc_wallets (id)
)
""",
    "CREATE INDEX ix_cbdc_payment_requests_payer_wallet_id ON cbdc_payment_requests (payer_wallet_id)",
    """
CREATE TABLE cbdc_payments (
    seq INTEGER NOT NULL,
    id VARCHAR(64) NOT NULL,
    operation_id VARCHAR(400) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    payer_wallet_id VARCHAR(64) NOT NULL,
    payee_wallet_id VARCHAR(64) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    refunded_tyiyn BIGINT DEFAULT '0' NOT NULL,
    topup_tyiyn BIGINT NOT NULL,
    waterfall_tyiyn BIGINT NOT NULL,
    status VARCHAR(16) NOT NULL,
    failure VARCHAR(200),
    reference VARCHAR(200),
    refund_of VARCHAR(64),
    legs TEXT NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT cbdc_payments_amount_positive CHECK (amount_tyiyn > 0),
    CONSTRAINT cbdc_payments_refund_cap CHECK (refunded_tyiyn >= 0 AND refunded_tyiyn <= amount_tyiyn),
    CONSTRAINT cbdc_payments_status CHECK (status IN ('pending', 'completed', 'failed')),
    UNIQUE (id),
    UNIQUE (operation_id),
    FOREIGN KEY(payer_wallet_id) REFERENCES cbdc_wallets (id),
    FOREIGN KEY(payee_wallet_id) REFERENCES cbdc_wallets (id)
)
""",
    "CREATE INDEX ix_cbdc_payments_payee_wallet_id ON cbdc_payments (payee_wallet_id)",
    "CREATE INDEX ix_cbdc_payments_payer_wallet_id ON cbdc_payments (payer_wallet_id)",
    """
CREATE TABLE cbdc_wallet_holds (
    seq INTEGER NOT NULL,
    wallet_id VARCHAR(64) NOT NULL,
    action VARCHAR(16) NOT NULL,
    reason VARCHAR(200) NOT NULL,
    legal_order_ref VARCHAR(64) NOT NULL,
    actor VARCHAR(200) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT cbdc_wallet_holds_action CHECK (action IN ('freeze', 'unfreeze')),
    FOREIGN KEY(wallet_id) REFERENCES cbdc_wallets (id)
)
""",
    "CREATE INDEX ix_cbdc_wallet_holds_wallet_id ON cbdc_wallet_holds (wallet_id)",
    """
CREATE TABLE cbdc_refunds (
    seq INTEGER NOT NULL,
    id VARCHAR(64) NOT NULL,
    operation_id VARCHAR(400) NOT NULL,
    payment_id VARCHAR(64) NOT NULL,
    refund_payment_id VARCHAR(64) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT cbdc_refunds_amount_positive CHECK (amount_tyiyn > 0),
    UNIQUE (id),
    UNIQUE (operation_id),
    FOREIGN KEY(payment_id) REFERENCES cbdc_payments (id),
    UNIQUE (refund_payment_id)
)
""",
    "CREATE INDEX ix_cbdc_refunds_payment_id ON cbdc_refunds (payment_id)",
)

POSTGRESQL: Final = (
    """
CREATE TABLE cbdc_idempotency_keys (
    principal VARCHAR(200) NOT NULL,
    key VARCHAR(256) NOT NULL,
    fingerprint VARCHAR(64) NOT NULL,
    status_code INTEGER NOT NULL,
    content_type VARCHAR(64) NOT NULL,
    body TEXT NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (principal, key)
)
""",
    """
CREATE TABLE cbdc_issuance_events (
    seq SERIAL NOT NULL,
    id VARCHAR(64) NOT NULL,
    operation_id VARCHAR(400) NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    status VARCHAR(16) NOT NULL,
    failure TEXT,
    day VARCHAR(10) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT cbdc_issuance_events_amount_positive CHECK (amount_tyiyn > 0),
    CONSTRAINT cbdc_issuance_events_kind CHECK (kind IN ('reserve_credit', 'issue', 'redeem')),
    CONSTRAINT cbdc_issuance_events_status CHECK (status IN ('pending', 'completed', 'failed')),
    UNIQUE (id),
    UNIQUE (operation_id)
)
""",
    "CREATE INDEX ix_cbdc_issuance_events_day ON cbdc_issuance_events (day)",
    """
CREATE TABLE cbdc_participants (
    seq SERIAL NOT NULL,
    id VARCHAR(64) NOT NULL,
    kind VARCHAR(32) NOT NULL,
    name VARCHAR(200) NOT NULL,
    bank_code VARCHAR(16),
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    UNIQUE (id),
    UNIQUE (bank_code)
)
""",
    """
CREATE TABLE cbdc_wallets (
    seq SERIAL NOT NULL,
    id VARCHAR(64) NOT NULL,
    operation_id VARCHAR(400) NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    holder_id VARCHAR(64) NOT NULL,
    holder_kind VARCHAR(16) NOT NULL,
    tier INTEGER NOT NULL,
    status VARCHAR(16) NOT NULL,
    merchant_name VARCHAR(32),
    merchant_city VARCHAR(32),
    mcc VARCHAR(4),
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT cbdc_wallets_status CHECK (status IN ('active', 'frozen', 'closing', 'closed')),
    CONSTRAINT cbdc_wallets_tier CHECK (tier >= 0),
    UNIQUE (id),
    UNIQUE (operation_id)
)
""",
    "CREATE INDEX ix_cbdc_wallets_bank_code ON cbdc_wallets (bank_code)",
    """
CREATE TABLE cbdc_identities (
    wallet_id VARCHAR(64) NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    full_name VARCHAR(200) NOT NULL,
    phone VARCHAR(20) NOT NULL,
    pin_hash VARCHAR(128) NOT NULL,
    PRIMARY KEY (wallet_id),
    FOREIGN KEY(wallet_id) REFERENCES cbdc_wallets (id)
)
""",
    """
CREATE TABLE cbdc_payment_requests (
    seq SERIAL NOT NULL,
    id VARCHAR(64) NOT NULL,
    operation_id VARCHAR(400) NOT NULL,
    payee_wallet_id VARCHAR(64) NOT NULL,
    payer_wallet_id VARCHAR(64) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    message VARCHAR(200),
    status VARCHAR(16) NOT NULL,
    payment_id VARCHAR(64),
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT cbdc_payment_requests_amount_positive CHECK (amount_tyiyn > 0),
    CONSTRAINT cbdc_payment_requests_status CHECK (status IN ('open', 'paid', 'declined')),
    UNIQUE (id),
    UNIQUE (operation_id),
    FOREIGN KEY(payee_wallet_id) REFERENCES cbdc_wallets (id),
    FOREIGN KEY(payer_wallet_id) REFERENCES cbdc_wallets (id)
)
""",
    "CREATE INDEX ix_cbdc_payment_requests_payer_wallet_id ON cbdc_payment_requests (payer_wallet_id)",
    """
CREATE TABLE cbdc_payments (
    seq SERIAL NOT NULL,
    id VARCHAR(64) NOT NULL,
    operation_id VARCHAR(400) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    payer_wallet_id VARCHAR(64) NOT NULL,
    payee_wallet_id VARCHAR(64) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    refunded_tyiyn BIGINT DEFAULT '0' NOT NULL,
    topup_tyiyn BIGINT NOT NULL,
    waterfall_tyiyn BIGINT NOT NULL,
    status VARCHAR(16) NOT NULL,
    failure VARCHAR(200),
    reference VARCHAR(200),
    refund_of VARCHAR(64),
    legs TEXT NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT cbdc_payments_amount_positive CHECK (amount_tyiyn > 0),
    CONSTRAINT cbdc_payments_refund_cap CHECK (refunded_tyiyn >= 0 AND refunded_tyiyn <= amount_tyiyn),
    CONSTRAINT cbdc_payments_status CHECK (status IN ('pending', 'completed', 'failed')),
    UNIQUE (id),
    UNIQUE (operation_id),
    FOREIGN KEY(payer_wallet_id) REFERENCES cbdc_wallets (id),
    FOREIGN KEY(payee_wallet_id) REFERENCES cbdc_wallets (id)
)
""",
    "CREATE INDEX ix_cbdc_payments_payee_wallet_id ON cbdc_payments (payee_wallet_id)",
    "CREATE INDEX ix_cbdc_payments_payer_wallet_id ON cbdc_payments (payer_wallet_id)",
    """
CREATE TABLE cbdc_wallet_holds (
    seq SERIAL NOT NULL,
    wallet_id VARCHAR(64) NOT NULL,
    action VARCHAR(16) NOT NULL,
    reason VARCHAR(200) NOT NULL,
    legal_order_ref VARCHAR(64) NOT NULL,
    actor VARCHAR(200) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT cbdc_wallet_holds_action CHECK (action IN ('freeze', 'unfreeze')),
    FOREIGN KEY(wallet_id) REFERENCES cbdc_wallets (id)
)
""",
    "CREATE INDEX ix_cbdc_wallet_holds_wallet_id ON cbdc_wallet_holds (wallet_id)",
    """
CREATE TABLE cbdc_refunds (
    seq SERIAL NOT NULL,
    id VARCHAR(64) NOT NULL,
    operation_id VARCHAR(400) NOT NULL,
    payment_id VARCHAR(64) NOT NULL,
    refund_payment_id VARCHAR(64) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT cbdc_refunds_amount_positive CHECK (amount_tyiyn > 0),
    UNIQUE (id),
    UNIQUE (operation_id),
    FOREIGN KEY(payment_id) REFERENCES cbdc_payments (id),
    UNIQUE (refund_payment_id)
)
""",
    "CREATE INDEX ix_cbdc_refunds_payment_id ON cbdc_refunds (payment_id)",
)


MIGRATION: Final = Migration(1, "initial digital som tables", ddl_step(sqlite=SQLITE, postgresql=POSTGRESQL))
