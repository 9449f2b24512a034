"""Remittance migration 1 (added 2026-12-07): partners, corridors, quotes, remittances,
their screening decisions and review decisions, and the positions' fundings.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `remittance/tables.py` describes the result
of all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

SQLITE: Final = (
    """
CREATE TABLE remittance_partners (
    partner_id VARCHAR(64) NOT NULL,
    name VARCHAR(200) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    country VARCHAR(2) NOT NULL,
    bank_code VARCHAR(64) NOT NULL,
    position_account_id VARCHAR(40) NOT NULL,
    month_limit_tyiyn BIGINT NOT NULL,
    active INTEGER NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (partner_id),
    CONSTRAINT remittance_partners_kind CHECK (kind IN ('mto', 'exchange')),
    CONSTRAINT remittance_partners_limits CHECK (month_limit_tyiyn >= 0 AND active IN (0, 1)),
    UNIQUE (position_account_id)
)
""",
    """
CREATE TABLE remittance_corridors (
    corridor_id VARCHAR(64) NOT NULL,
    partner_id VARCHAR(64) NOT NULL,
    currency VARCHAR(3) NOT NULL,
    fee_fixed_minor BIGINT NOT NULL,
    fee_bps INTEGER NOT NULL,
    fx_margin_bps INTEGER NOT NULL,
    transfer_max_minor BIGINT NOT NULL,
    sender_month_max_minor BIGINT NOT NULL,
    PRIMARY KEY (corridor_id),
    CONSTRAINT remittance_corridors_prices CHECK (fee_fixed_minor >= 0 AND fee_bps BETWEEN 0 AND 10000 AND fx_margin_bps BETWEEN 0 AND 9999),
    CONSTRAINT remittance_corridors_limits CHECK (transfer_max_minor > 0 AND sender_month_max_minor >= transfer_max_minor),
    FOREIGN KEY(partner_id) REFERENCES remittance_partners (partner_id)
)
""",
    "CREATE UNIQUE INDEX ux_remittance_corridors_partner_currency ON remittance_corridors (partner_id, currency)",
    """
CREATE TABLE remittance_fundings (
    funding_id VARCHAR(64) NOT NULL,
    partner_id VARCHAR(64) NOT NULL,
    kind VARCHAR(8) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (funding_id),
    CONSTRAINT remittance_fundings_kind CHECK (kind IN ('prefund', 'defund') AND amount_tyiyn > 0),
    FOREIGN KEY(partner_id) REFERENCES remittance_partners (partner_id)
)
""",
    """
CREATE TABLE remittance_quotes (
    quote_id VARCHAR(64) NOT NULL,
    partner_id VARCHAR(64) NOT NULL,
    corridor_id VARCHAR(64) NOT NULL,
    currency VARCHAR(3) NOT NULL,
    send_minor BIGINT NOT NULL,
    fee_fixed_minor BIGINT NOT NULL,
    fee_pct_minor BIGINT NOT NULL,
    fx_margin_minor BIGINT NOT NULL,
    reference_e6 BIGINT NOT NULL,
    applied_e6 BIGINT NOT NULL,
    rate_date VARCHAR(10) NOT NULL,
    receive_tyiyn BIGINT NOT NULL,
    usd_equivalent_cents BIGINT NOT NULL,
    all_in_cost_ppm BIGINT NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    expires_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (quote_id),
    CONSTRAINT remittance_quotes_amounts CHECK (send_minor > 0 AND receive_tyiyn > 0 AND applied_e6 > 0 AND applied_e6 <= reference_e6),
    CONSTRAINT remittance_quotes_expiry CHECK (expires_at > created_at),
    FOREIGN KEY(corridor_id) REFERENCES remittance_corridors (corridor_id)
)
""",
    """
CREATE TABLE remittance_remittances (
    remittance_id VARCHAR(64) NOT NULL,
    partner_id VARCHAR(64) NOT NULL,
    reference VARCHAR(64) NOT NULL,
    body_sha256 VARCHAR(64) NOT NULL,
    quote_id VARCHAR(64) NOT NULL,
    corridor_id VARCHAR(64) NOT NULL,
    sender_id VARCHAR(64) NOT NULL,
    sender_name VARCHAR(200) NOT NULL,
    recipient_name VARCHAR(200) NOT NULL,
    recipient_wallet_id VARCHAR(64) NOT NULL,
    recipient_personal_number VARCHAR(64) NOT NULL,
    send_minor BIGINT NOT NULL,
    receive_tyiyn BIGINT NOT NULL,
    month VARCHAR(7) NOT NULL,
    status VARCHAR(16) NOT NULL,
    reason VARCHAR(500) NOT NULL,
    channel VARCHAR(16) NOT NULL,
    to_wallet_tyiyn BIGINT NOT NULL,
    waterfall_tyiyn BIGINT NOT NULL,
    to_bank_tyiyn BIGINT NOT NULL,
    travel_rule TEXT NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    updated_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (remittance_id),
    CONSTRAINT remittance_remittances_status CHECK (status IN ('paying', 'pending_review', 'paid', 'returned')),
    CONSTRAINT remittance_remittances_paid_adds_up CHECK (status <> 'paid' OR to_wallet_tyiyn + waterfall_tyiyn + to_bank_tyiyn = receive_tyiyn),
    CONSTRAINT remittance_remittances_unpaid_moved_nothing CHECK (status = 'paid' OR to_wallet_tyiyn + waterfall_tyiyn + to_bank_tyiyn = 0),
    CONSTRAINT remittance_remittances_amounts CHECK (send_minor > 0 AND receive_tyiyn > 0),
    FOREIGN KEY(partner_id) REFERENCES remittance_partners (partner_id),
    UNIQUE (quote_id),
    FOREIGN KEY(quote_id) REFERENCES remittance_quotes (quote_id)
)
""",
    "CREATE INDEX ix_remittance_remittances_partner_month ON remittance_remittances (partner_id, month)",
    "CREATE INDEX ix_remittance_remittances_sender_month ON remittance_remittances (corridor_id, sender_id, month)",
    "CREATE INDEX ix_remittance_remittances_status ON remittance_remittances (status)",
    "CREATE UNIQUE INDEX ux_remittance_remittances_reference ON remittance_remittances (partner_id, reference)",
    """
CREATE TABLE remittance_reviews (
    remittance_id VARCHAR(64) NOT NULL,
    decision VARCHAR(8) NOT NULL,
    officer VARCHAR(64) NOT NULL,
    note VARCHAR(500) NOT NULL,
    decided_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (remittance_id),
    CONSTRAINT remittance_reviews_decision CHECK (decision IN ('clear', 'block')),
    FOREIGN KEY(remittance_id) REFERENCES remittance_remittances (remittance_id)
)
""",
    """
CREATE TABLE remittance_screenings (
    remittance_id VARCHAR(64) NOT NULL,
    party VARCHAR(16) NOT NULL,
    decision VARCHAR(8) NOT NULL,
    reason VARCHAR(500) NOT NULL,
    PRIMARY KEY (remittance_id, party),
    CONSTRAINT remittance_screenings_party CHECK (party IN ('sender', 'recipient', 'partner')),
    CONSTRAINT remittance_screenings_decision CHECK (decision IN ('hit', 'review', 'clear')),
    FOREIGN KEY(remittance_id) REFERENCES remittance_remittances (remittance_id)
)
""",
)

POSTGRESQL: Final = (
    """
CREATE TABLE remittance_partners (
    partner_id VARCHAR(64) NOT NULL,
    name VARCHAR(200) NOT NULL,
    kind VARCHAR(16) NOT NULL,
    country VARCHAR(2) NOT NULL,
    bank_code VARCHAR(64) NOT NULL,
    position_account_id VARCHAR(40) NOT NULL,
    month_limit_tyiyn BIGINT NOT NULL,
    active INTEGER NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (partner_id),
    CONSTRAINT remittance_partners_kind CHECK (kind IN ('mto', 'exchange')),
    CONSTRAINT remittance_partners_limits CHECK (month_limit_tyiyn >= 0 AND active IN (0, 1)),
    UNIQUE (position_account_id)
)
""",
    """
CREATE TABLE remittance_corridors (
    corridor_id VARCHAR(64) NOT NULL,
    partner_id VARCHAR(64) NOT NULL,
    currency VARCHAR(3) NOT NULL,
    fee_fixed_minor BIGINT NOT NULL,
    fee_bps INTEGER NOT NULL,
    fx_margin_bps INTEGER NOT NULL,
    transfer_max_minor BIGINT NOT NULL,
    sender_month_max_minor BIGINT NOT NULL,
    PRIMARY KEY (corridor_id),
    CONSTRAINT remittance_corridors_prices CHECK (fee_fixed_minor >= 0 AND fee_bps BETWEEN 0 AND 10000 AND fx_margin_bps BETWEEN 0 AND 9999),
    CONSTRAINT remittance_corridors_limits CHECK (transfer_max_minor > 0 AND sender_month_max_minor >= transfer_max_minor),
    FOREIGN KEY(partner_id) REFERENCES remittance_partners (partner_id)
)
""",
    "CREATE UNIQUE INDEX ux_remittance_corridors_partner_currency ON remittance_corridors (partner_id, currency)",
    """
CREATE TABLE remittance_fundings (
    funding_id VARCHAR(64) NOT NULL,
    partner_id VARCHAR(64) NOT NULL,
    kind VARCHAR(8) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (funding_id),
    CONSTRAINT remittance_fundings_kind CHECK (kind IN ('prefund', 'defund') AND amount_tyiyn > 0),
    FOREIGN KEY(partner_id) REFERENCES remittance_partners (partner_id)
)
""",
    """
CREATE TABLE remittance_quotes (
    quote_id VARCHAR(64) NOT NULL,
    partner_id VARCHAR(64) NOT NULL,
    corridor_id VARCHAR(64) NOT NULL,
    currency VARCHAR(3) NOT NULL,
    send_minor BIGINT NOT NULL,
    fee_fixed_minor BIGINT NOT NULL,
    fee_pct_minor BIGINT NOT NULL,
    fx_margin_minor BIGINT NOT NULL,
    reference_e6 BIGINT NOT NULL,
    applied_e6 BIGINT NOT NULL,
    rate_date VARCHAR(10) NOT NULL,
    receive_tyiyn BIGINT NOT NULL,
    usd_equivalent_cents BIGINT NOT NULL,
    all_in_cost_ppm BIGINT NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    expires_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (quote_id),
    CONSTRAINT remittance_quotes_amounts CHECK (send_minor > 0 AND receive_tyiyn > 0 AND applied_e6 > 0 AND applied_e6 <= reference_e6),
    CONSTRAINT remittance_quotes_expiry CHECK (expires_at > created_at),
    FOREIGN KEY(corridor_id) REFERENCES remittance_corridors (corridor_id)
)
""",
    """
CREATE TABLE remittance_remittances (
    remittance_id VARCHAR(64) NOT NULL,
    partner_id VARCHAR(64) NOT NULL,
    reference VARCHAR(64) NOT NULL,
    body_sha256 VARCHAR(64) NOT NULL,
    quote_id VARCHAR(64) NOT NULL,
    corridor_id VARCHAR(64) NOT NULL,
    sender_id VARCHAR(64) NOT NULL,
    sender_name VARCHAR(200) NOT NULL,
    recipient_name VARCHAR(200) NOT NULL,
    recipient_wallet_id VARCHAR(64) NOT NULL,
    recipient_personal_number VARCHAR(64) NOT NULL,
    send_minor BIGINT NOT NULL,
    receive_tyiyn BIGINT NOT NULL,
    month VARCHAR(7) NOT NULL,
    status VARCHAR(16) NOT NULL,
    reason VARCHAR(500) NOT NULL,
    channel VARCHAR(16) NOT NULL,
    to_wallet_tyiyn BIGINT NOT NULL,
    waterfall_tyiyn BIGINT NOT NULL,
    to_bank_tyiyn BIGINT NOT NULL,
    travel_rule TEXT NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    updated_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (remittance_id),
    CONSTRAINT remittance_remittances_status CHECK (status IN ('paying', 'pending_review', 'paid', 'returned')),
    CONSTRAINT remittance_remittances_paid_adds_up CHECK (status <> 'paid' OR to_wallet_tyiyn + waterfall_tyiyn + to_bank_tyiyn = receive_tyiyn),
    CONSTRAINT remittance_remittances_unpaid_moved_nothing CHECK (status = 'paid' OR to_wallet_tyiyn + waterfall_tyiyn + to_bank_tyiyn = 0),
    CONSTRAINT remittance_remittances_amounts CHECK (send_minor > 0 AND receive_tyiyn > 0),
    FOREIGN KEY(partner_id) REFERENCES remittance_partners (partner_id),
    UNIQUE (quote_id),
    FOREIGN KEY(quote_id) REFERENCES remittance_quotes (quote_id)
)
""",
    "CREATE INDEX ix_remittance_remittances_partner_month ON remittance_remittances (partner_id, month)",
    "CREATE INDEX ix_remittance_remittances_sender_month ON remittance_remittances (corridor_id, sender_id, month)",
    "CREATE INDEX ix_remittance_remittances_status ON remittance_remittances (status)",
    "CREATE UNIQUE INDEX ux_remittance_remittances_reference ON remittance_remittances (partner_id, reference)",
    """
CREATE TABLE remittance_reviews (
    remittance_id VARCHAR(64) NOT NULL,
    decision VARCHAR(8) NOT NULL,
    officer VARCHAR(64) NOT NULL,
    note VARCHAR(500) NOT NULL,
    decided_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (remittance_id),
    CONSTRAINT remittance_reviews_decision CHECK (decision IN ('clear', 'block')),
    FOREIGN KEY(remittance_id) REFERENCES remittance_remittances (remittance_id)
)
""",
    """
CREATE TABLE remittance_screenings (
    remittance_id VARCHAR(64) NOT NULL,
    party VARCHAR(16) NOT NULL,
    decision VARCHAR(8) NOT NULL,
    reason VARCHAR(500) NOT NULL,
    PRIMARY KEY (remittance_id, party),
    CONSTRAINT remittance_screenings_party CHECK (party IN ('sender', 'recipient', 'partner')),
    CONSTRAINT remittance_screenings_decision CHECK (decision IN ('hit', 'review', 'clear')),
    FOREIGN KEY(remittance_id) REFERENCES remittance_remittances (remittance_id)
)
""",
)

MIGRATION: Final = Migration(1, "initial", ddl_step(sqlite=SQLITE, postgresql=POSTGRESQL))
