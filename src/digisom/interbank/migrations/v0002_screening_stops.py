"""RTGS migration 2 (added 2026-12-07): pacs.008s that screening of the debtor's and the creditor's
names stopped (refused on a hit, held out of the queue on a review until an officer decides).

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `interbank/tables.py` describes the result
of all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

SQLITE: Final = (
    """
CREATE TABLE interbank_screening_stops (
    seq INTEGER NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    message_id VARCHAR(35) NOT NULL,
    message_type VARCHAR(20) NOT NULL,
    end_to_end_id VARCHAR(35) NOT NULL,
    settlement_date VARCHAR(10) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    debtor_name VARCHAR(140) NOT NULL,
    creditor_name VARCHAR(140) NOT NULL,
    debtor_decision VARCHAR(8) NOT NULL,
    debtor_reason VARCHAR(500) NOT NULL,
    creditor_decision VARCHAR(8) NOT NULL,
    creditor_reason VARCHAR(500) NOT NULL,
    status VARCHAR(20) NOT NULL,
    officer VARCHAR(200),
    payment_seq INTEGER,
    created_at VARCHAR(32) NOT NULL,
    decided_at VARCHAR(32),
    xml TEXT NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT interbank_screening_stops_status CHECK (status IN ('refused', 'held_for_screening', 'released', 'rejected')),
    CONSTRAINT interbank_screening_stops_decisions CHECK (debtor_decision IN ('hit', 'review', 'clear') AND creditor_decision IN ('hit', 'review', 'clear')),
    CONSTRAINT interbank_screening_stops_hit_refused CHECK ((status = 'refused') = (debtor_decision = 'hit' OR creditor_decision = 'hit')),
    CONSTRAINT interbank_screening_stops_decided CHECK ((status IN ('released', 'rejected')) = (officer IS NOT NULL AND decided_at IS NOT NULL)),
    CONSTRAINT interbank_screening_stops_once UNIQUE (bank_code, message_id),
    FOREIGN KEY(bank_code) REFERENCES interbank_banks (bank_code)
)
""",
    "CREATE INDEX interbank_screening_stops_by_status ON interbank_screening_stops (status, seq)",
)

POSTGRESQL: Final = (
    """
CREATE TABLE interbank_screening_stops (
    seq SERIAL NOT NULL,
    bank_code VARCHAR(16) NOT NULL,
    message_id VARCHAR(35) NOT NULL,
    message_type VARCHAR(20) NOT NULL,
    end_to_end_id VARCHAR(35) NOT NULL,
    settlement_date VARCHAR(10) NOT NULL,
    amount_tyiyn BIGINT NOT NULL,
    debtor_name VARCHAR(140) NOT NULL,
    creditor_name VARCHAR(140) NOT NULL,
    debtor_decision VARCHAR(8) NOT NULL,
    debtor_reason VARCHAR(500) NOT NULL,
    creditor_decision VARCHAR(8) NOT NULL,
    creditor_reason VARCHAR(500) NOT NULL,
    status VARCHAR(20) NOT NULL,
    officer VARCHAR(200),
    payment_seq INTEGER,
    created_at VARCHAR(32) NOT NULL,
    decided_at VARCHAR(32),
    xml TEXT NOT NULL,
    PRIMARY KEY (seq),
    CONSTRAINT interbank_screening_stops_status CHECK (status IN ('refused', 'held_for_screening', 'released', 'rejected')),
    CONSTRAINT interbank_screening_stops_decisions CHECK (debtor_decision IN ('hit', 'review', 'clear') AND creditor_decision IN ('hit', 'review', 'clear')),
    CONSTRAINT interbank_screening_stops_hit_refused CHECK ((status = 'refused') = (debtor_decision = 'hit' OR creditor_decision = 'hit')),
    CONSTRAINT interbank_screening_stops_decided CHECK ((status IN ('released', 'rejected')) = (officer IS NOT NULL AND decided_at IS NOT NULL)),
    CONSTRAINT interbank_screening_stops_once UNIQUE (bank_code, message_id),
    FOREIGN KEY(bank_code) REFERENCES interbank_banks (bank_code)
)
""",
    "CREATE INDEX interbank_screening_stops_by_status ON interbank_screening_stops (status, seq)",
)

MIGRATION: Final = Migration(2, "screening stops of pacs.008s", ddl_step(sqlite=SQLITE, postgresql=POSTGRESQL))
