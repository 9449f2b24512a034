"""RTGS migration 1 (added 2026-11-23): banks, business days, messages, the payment queue and settlements.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `interbank/tables.py` describes the result
of all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

SQLITE: Final = (
    """
CREATE TABLE interbank_banks (
    bank_code VARCHAR(16) NOT NULL,
    bic VARCHAR(11),
    name VARCHAR(140) NOT NULL,
    settlement_account_id VARCHAR(40) NOT NULL,
    credit_line_account_id VARCHAR(40) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (bank_code),
    UNIQUE (bic),
    UNIQUE (settlement_account_id),
    UNIQUE (credit_line_account_id)
)
""",
    """
CREATE TABLE interbank_days (
    business_date VARCHAR(10) NOT NULL,
    status VARCHAR(8) NOT NULL,
    last_lsm_s INTEGER DEFAULT '0' NOT NULL,
    closed_at VARCHAR(32),
    PRIMARY KEY (business_date),
    CONSTRAINT interbank_days_status CHECK (status IN ('open', 'closed'))
)
""",
    """
CREATE TABLE interbank_messages (
    seq INTEGER NOT NULL,
    direction VARCHAR(3) NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    message_id VARCHAR(64) NOT NULL,
    message_type VARCHAR(20) NOT NULL,
    business_date VARCHAR(10) NOT NULL,
    payment_seq INTEGER,
    status VARCHAR(4),
    reason_code VARCHAR(4),
    created_at VARCHAR(32) NOT NULL,
    xml TEXT NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT interbank_messages_direction CHECK (direction IN ('in', 'out')),
    CONSTRAINT interbank_messages_once UNIQUE (direction, bank_code, message_id)
)
""",
    "CREATE INDEX interbank_messages_by_bank ON interbank_messages (bank_code, direction, seq)",
    """
CREATE TABLE interbank_day_banks (
    business_date VARCHAR(10) NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    credit_drawn_tyiyn BIGINT NOT NULL,
    credit_repaid_tyiyn BIGINT NOT NULL,
    credit_unpaid_tyiyn BIGINT NOT NULL,
    rejected_payments INTEGER NOT NULL,
    opening_balance_tyiyn BIGINT NOT NULL,
    closing_balance_tyiyn BIGINT NOT NULL,
    last_transfer_ts BIGINT NOT NULL,
    statement_message_id VARCHAR(35) NOT NULL,
    PRIMARY KEY (business_date, bank_code),
    CONSTRAINT interbank_day_banks_credit CHECK (credit_repaid_tyiyn >= 0 AND credit_unpaid_tyiyn >= 0 AND credit_repaid_tyiyn + credit_unpaid_tyiyn = credit_drawn_tyiyn),
    FOREIGN KEY(bank_code) REFERENCES interbank_banks (bank_code)
)
""",
    """
CREATE TABLE interbank_payments (
    seq INTEGER NOT NULL,
    message_id VARCHAR(35) NOT NULL,
    message_type VARCHAR(20) NOT NULL,
    end_to_end_id VARCHAR(35) NOT NULL,
    instruction_id VARCHAR(35),
    debtor_bank VARCHAR(16) NOT NULL,
    creditor_bank VARCHAR(16) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    priority VARCHAR(8) NOT NULL,
    business_date VARCHAR(10) NOT NULL,
    arrival_s INTEGER NOT NULL,
    status VARCHAR(8) NOT NULL,
    attempt INTEGER DEFAULT '0' NOT NULL,
    method VARCHAR(16),
    settled_s INTEGER,
    debit_transfer_id VARCHAR(40),
    credit_transfer_id VARCHAR(40),
    reason_code VARCHAR(4),
    return_of INTEGER,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT interbank_payments_amount_positive CHECK (amount_tyiyn > 0),
    CONSTRAINT interbank_payments_status CHECK (status IN ('queued', 'settled', 'rejected')),
    CONSTRAINT interbank_payments_priority CHECK (priority IN ('urgent', 'normal')),
    CONSTRAINT interbank_payments_not_on_us CHECK (debtor_bank <> creditor_bank),
    CONSTRAINT interbank_payments_message_once UNIQUE (debtor_bank, message_id),
    CONSTRAINT interbank_payments_e2e_once UNIQUE (debtor_bank, end_to_end_id, business_date),
    FOREIGN KEY(debtor_bank) REFERENCES interbank_banks (bank_code),
    FOREIGN KEY(creditor_bank) REFERENCES interbank_banks (bank_code)
)
""",
    "CREATE INDEX interbank_payments_queue ON interbank_payments (business_date, status, seq)",
    """
CREATE TABLE interbank_pledges (
    seq INTEGER NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    pledge_key VARCHAR(64) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT interbank_pledges_amount_positive CHECK (amount_tyiyn > 0),
    CONSTRAINT interbank_pledges_once UNIQUE (bank_code, pledge_key),
    FOREIGN KEY(bank_code) REFERENCES interbank_banks (bank_code)
)
""",
)

POSTGRESQL: Final = (
    """
CREATE TABLE interbank_banks (
    bank_code VARCHAR(16) NOT NULL,
    bic VARCHAR(11),
    name VARCHAR(140) NOT NULL,
    settlement_account_id VARCHAR(40) NOT NULL,
    credit_line_account_id VARCHAR(40) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (bank_code),
    UNIQUE (bic),
    UNIQUE (settlement_account_id),
    UNIQUE (credit_line_account_id)
)
""",
    """
CREATE TABLE interbank_days (
    business_date VARCHAR(10) NOT NULL,
    status VARCHAR(8) NOT NULL,
    last_lsm_s INTEGER DEFAULT '0' NOT NULL,
    closed_at VARCHAR(32),
    PRIMARY KEY (business_date),
    CONSTRAINT interbank_days_status CHECK (status IN ('open', 'closed'))
)
""",
    """
CREATE TABLE interbank_messages (
    seq SERIAL NOT NULL,
    direction VARCHAR(3) NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    message_id VARCHAR(64) NOT NULL,
    message_type VARCHAR(20) NOT NULL,
    business_date VARCHAR(10) NOT NULL,
    payment_seq INTEGER,
    status VARCHAR(4),
    reason_code VARCHAR(4),
    created_at VARCHAR(32) NOT NULL,
    xml TEXT NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT interbank_messages_direction CHECK (direction IN ('in', 'out')),
    CONSTRAINT interbank_messages_once UNIQUE (direction, bank_code, message_id)
)
""",
    "CREATE INDEX interbank_messages_by_bank ON interbank_messages (bank_code, direction, seq)",
    """
CREATE TABLE interbank_day_banks (
    business_date VARCHAR(10) NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    credit_drawn_tyiyn BIGINT NOT NULL,
    credit_repaid_tyiyn BIGINT NOT NULL,
    credit_unpaid_tyiyn BIGINT NOT NULL,
    rejected_payments INTEGER NOT NULL,
    opening_balance_tyiyn BIGINT NOT NULL,
    closing_balance_tyiyn BIGINT NOT NULL,
    last_transfer_ts BIGINT NOT NULL,
    statement_message_id VARCHAR(35) NOT NULL,
    PRIMARY KEY (business_date, bank_code),
    CONSTRAINT interbank_day_banks_credit CHECK (credit_repaid_tyiyn >= 0 AND credit_unpaid_tyiyn >= 0 AND credit_repaid_tyiyn + credit_unpaid_tyiyn = credit_drawn_tyiyn),
    FOREIGN KEY(bank_code) REFERENCES interbank_banks (bank_code)
)
""",
    """
CREATE TABLE interbank_payments (
    seq SERIAL NOT NULL,
    message_id VARCHAR(35) NOT NULL,
    message_type VARCHAR(20) NOT NULL,
    end_to_end_id VARCHAR(35) NOT NULL,
    instruction_id VARCHAR(35),
    debtor_bank VARCHAR(16) NOT NULL,
    creditor_bank VARCHAR(16) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    priority VARCHAR(8) NOT NULL,
    business_date VARCHAR(10) NOT NULL,
    arrival_s INTEGER NOT NULL,
    status VARCHAR(8) NOT NULL,
    attempt INTEGER DEFAULT '0' NOT NULL,
    method VARCHAR(16),
    settled_s INTEGER,
    debit_transfer_id VARCHAR(40),
    credit_transfer_id VARCHAR(40),
    reason_code VARCHAR(4),
    return_of INTEGER,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT interbank_payments_amount_positive CHECK (amount_tyiyn > 0),
    CONSTRAINT interbank_payments_status CHECK (status IN ('queued', 'settled', 'rejected')),
    CONSTRAINT interbank_payments_priority CHECK (priority IN ('urgent', 'normal')),
    CONSTRAINT interbank_payments_not_on_us CHECK (debtor_bank <> creditor_bank),
    CONSTRAINT interbank_payments_message_once UNIQUE (debtor_bank, message_id),
    CONSTRAINT interbank_payments_e2e_once UNIQUE (debtor_bank, end_to_end_id, business_date),
    FOREIGN KEY(debtor_bank) REFERENCES interbank_banks (bank_code),
    FOREIGN KEY(creditor_bank) REFERENCES interbank_banks (bank_code)
)
""",
    "CREATE INDEX interbank_payments_queue ON interbank_payments (business_date, status, seq)",
    """
CREATE TABLE interbank_pledges (
    seq SERIAL NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    pledge_key VARCHAR(64) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT interbank_pledges_amount_positive CHECK (amount_tyiyn > 0),
    CONSTRAINT interbank_pledges_once UNIQUE (bank_code, pledge_key),
    FOREIGN KEY(bank_code) REFERENCES interbank_banks (bank_code)
)
""",
)


MIGRATION: Final = Migration(1, "initial RTGS tables", ddl_step(sqlite=SQLITE, postgresql=POSTGRESQL))
