"""Compliance migration 1 (added 2026-12-07): screening decisions and the four-eyes review queue.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `compliance/tables.py` describes the result
of all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

SQLITE: Final = (
    """
CREATE TABLE compliance_screenings (
    screening_id INTEGER NOT NULL,
    subject_kind VARCHAR(16) NOT NULL,
    subject VARCHAR(500) NOT NULL,
    subject_schema VARCHAR(16) NOT NULL,
    context VARCHAR(64) NOT NULL,
    requested_by VARCHAR(64) NOT NULL,
    decision VARCHAR(8) NOT NULL,
    rule VARCHAR(32) NOT NULL,
    score_milli INTEGER NOT NULL,
    list_versions TEXT NOT NULL,
    matches TEXT NOT NULL,
    screened_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (screening_id),
    CONSTRAINT compliance_screenings_kind CHECK (subject_kind IN ('name', 'address')),
    CONSTRAINT compliance_screenings_decision CHECK (decision IN ('hit', 'review', 'clear')),
    CONSTRAINT compliance_screenings_score CHECK (score_milli BETWEEN 0 AND 1000)
)
""",
    "CREATE INDEX ix_compliance_screenings_screened_at ON compliance_screenings (screened_at)",
    """
CREATE TABLE compliance_reviews (
    review_id INTEGER NOT NULL,
    screening_id INTEGER NOT NULL,
    opened_by VARCHAR(64) NOT NULL,
    opened_at VARCHAR(32) NOT NULL,
    status VARCHAR(16) NOT NULL,
    decided_by VARCHAR(64),
    decided_at VARCHAR(32),
    reason TEXT,
    PRIMARY KEY (review_id),
    CONSTRAINT compliance_reviews_status CHECK (status IN ('open', 'cleared', 'confirmed')),
    CONSTRAINT compliance_reviews_decided CHECK ((status = 'open' AND decided_by IS NULL AND decided_at IS NULL AND reason IS NULL) OR (status <> 'open' AND decided_by IS NOT NULL AND decided_at IS NOT NULL AND reason IS NOT NULL)),
    CONSTRAINT compliance_reviews_four_eyes CHECK (decided_by IS NULL OR decided_by <> opened_by),
    UNIQUE (screening_id),
    FOREIGN KEY(screening_id) REFERENCES compliance_screenings (screening_id)
)
""",
    "CREATE INDEX ix_compliance_reviews_status ON compliance_reviews (status)",
)

POSTGRESQL: Final = (
    """
CREATE TABLE compliance_screenings (
    screening_id SERIAL NOT NULL,
    subject_kind VARCHAR(16) NOT NULL,
    subject VARCHAR(500) NOT NULL,
    subject_schema VARCHAR(16) NOT NULL,
    context VARCHAR(64) NOT NULL,
    requested_by VARCHAR(64) NOT NULL,
    decision VARCHAR(8) NOT NULL,
    rule VARCHAR(32) NOT NULL,
    score_milli INTEGER NOT NULL,
    list_versions TEXT NOT NULL,
    matches TEXT NOT NULL,
    screened_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (screening_id),
    CONSTRAINT compliance_screenings_kind CHECK (subject_kind IN ('name', 'address')),
    CONSTRAINT compliance_screenings_decision CHECK (decision IN ('hit', 'review', 'clear')),
    CONSTRAINT compliance_screenings_score CHECK (score_milli BETWEEN 0 AND 1000)
)
""",
    "CREATE INDEX ix_compliance_screenings_screened_at ON compliance_screenings (screened_at)",
    """
CREATE TABLE compliance_reviews (
    review_id SERIAL NOT NULL,
    screening_id INTEGER NOT NULL,
    opened_by VARCHAR(64) NOT NULL,
    opened_at VARCHAR(32) NOT NULL,
    status VARCHAR(16) NOT NULL,
    decided_by VARCHAR(64),
    decided_at VARCHAR(32),
    reason TEXT,
    PRIMARY KEY (review_id),
    CONSTRAINT compliance_reviews_status CHECK (status IN ('open', 'cleared', 'confirmed')),
    CONSTRAINT compliance_reviews_decided CHECK ((status = 'open' AND decided_by IS NULL AND decided_at IS NULL AND reason IS NULL) OR (status <> 'open' AND decided_by IS NOT NULL AND decided_at IS NOT NULL AND reason IS NOT NULL)),
    CONSTRAINT compliance_reviews_four_eyes CHECK (decided_by IS NULL OR decided_by <> opened_by),
    UNIQUE (screening_id),
    FOREIGN KEY(screening_id) REFERENCES compliance_screenings (screening_id)
)
""",
    "CREATE INDEX ix_compliance_reviews_status ON compliance_reviews (status)",
)

MIGRATION: Final = Migration(
    1,
    "screening decisions, review queue",
    ddl_step(sqlite=SQLITE, postgresql=POSTGRESQL),
)
