"""Compliance migration 2 (added 2026-12-07): four eyes on every review (a proposal by one
officer, approved or rejected by another), every step kept, and the outbox of final decisions.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). A review decided before this step (by one officer)
keeps its decision: its proposal columns say `migration:before-four-eyes`, its outcome and
the decision's time."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

SQLITE: Final = (
    """
CREATE TABLE compliance_reviews_v2 (
    review_id INTEGER NOT NULL,
    screening_id INTEGER NOT NULL,
    opened_by VARCHAR(64) NOT NULL,
    opened_at VARCHAR(32) NOT NULL,
    status VARCHAR(16) NOT NULL,
    decided_by VARCHAR(64),
    decided_at VARCHAR(32),
    reason TEXT,
    proposed_by VARCHAR(64),
    proposed_outcome VARCHAR(16),
    proposed_at VARCHAR(32),
    PRIMARY KEY (review_id),
    CONSTRAINT compliance_reviews_status CHECK (status IN ('open', 'proposed', 'cleared', 'confirmed')),
    CONSTRAINT compliance_reviews_decided CHECK ((status = 'open' AND proposed_by IS NULL AND proposed_outcome IS NULL AND proposed_at IS NULL AND reason IS NULL AND decided_by IS NULL AND decided_at IS NULL) OR (status = 'proposed' AND proposed_by IS NOT NULL AND proposed_outcome IS NOT NULL AND proposed_outcome IN ('cleared', 'confirmed') AND proposed_at IS NOT NULL AND reason IS NOT NULL AND decided_by IS NULL AND decided_at IS NULL) OR (status IN ('cleared', 'confirmed') AND proposed_by IS NOT NULL AND proposed_outcome IS NOT NULL AND proposed_outcome = status AND proposed_at IS NOT NULL AND reason IS NOT NULL AND decided_by IS NOT NULL AND decided_at IS NOT NULL)),
    CONSTRAINT compliance_reviews_four_eyes CHECK (decided_by IS NULL OR (decided_by <> opened_by AND decided_by <> proposed_by)),
    UNIQUE (screening_id),
    FOREIGN KEY(screening_id) REFERENCES compliance_screenings (screening_id)
)
""",
    "INSERT INTO compliance_reviews_v2 (review_id, screening_id, opened_by, opened_at, status, decided_by, decided_at, reason, proposed_by, proposed_outcome, proposed_at) SELECT review_id, screening_id, opened_by, opened_at, status, decided_by, decided_at, reason, CASE WHEN status = 'open' THEN NULL ELSE 'migration:before-four-eyes' END, CASE WHEN status = 'open' THEN NULL ELSE status END, CASE WHEN status = 'open' THEN NULL ELSE decided_at END FROM compliance_reviews",
    "DROP TABLE compliance_reviews",
    "ALTER TABLE compliance_reviews_v2 RENAME TO compliance_reviews",
    "CREATE INDEX ix_compliance_reviews_status ON compliance_reviews (status)",
    """
CREATE TABLE compliance_review_steps (
    step_id INTEGER NOT NULL,
    review_id INTEGER NOT NULL,
    action VARCHAR(16) NOT NULL,
    officer VARCHAR(64) NOT NULL,
    outcome VARCHAR(16) NOT NULL,
    reason TEXT NOT NULL,
    at VARCHAR(32) NOT NULL,
    PRIMARY KEY (step_id),
    CONSTRAINT compliance_review_steps_action CHECK (action IN ('proposed', 'approved', 'rejected')),
    CONSTRAINT compliance_review_steps_outcome CHECK (outcome IN ('cleared', 'confirmed')),
    FOREIGN KEY(review_id) REFERENCES compliance_reviews (review_id)
)
""",
    "CREATE INDEX ix_compliance_review_steps_review_id ON compliance_review_steps (review_id)",
    """
CREATE TABLE compliance_review_releases (
    review_id INTEGER NOT NULL,
    context VARCHAR(64) NOT NULL,
    outcome VARCHAR(16) NOT NULL,
    status VARCHAR(16) NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    note TEXT,
    created_at VARCHAR(32) NOT NULL,
    done_at VARCHAR(32),
    PRIMARY KEY (review_id),
    CONSTRAINT compliance_review_releases_outcome CHECK (outcome IN ('cleared', 'confirmed')),
    CONSTRAINT compliance_review_releases_attempts CHECK (attempts >= 0),
    CONSTRAINT compliance_review_releases_status CHECK ((status = 'pending' AND done_at IS NULL) OR (status = 'done' AND done_at IS NOT NULL AND note IS NOT NULL)),
    FOREIGN KEY(review_id) REFERENCES compliance_reviews (review_id)
)
""",
    "CREATE INDEX ix_compliance_review_releases_status ON compliance_review_releases (status)",
)

POSTGRESQL: Final = (
    "ALTER TABLE compliance_reviews ADD COLUMN proposed_by VARCHAR(64), ADD COLUMN proposed_outcome VARCHAR(16), ADD COLUMN proposed_at VARCHAR(32)",
    "ALTER TABLE compliance_reviews DROP CONSTRAINT compliance_reviews_status",
    "ALTER TABLE compliance_reviews DROP CONSTRAINT compliance_reviews_decided",
    "ALTER TABLE compliance_reviews DROP CONSTRAINT compliance_reviews_four_eyes",
    "UPDATE compliance_reviews SET proposed_by = 'migration:before-four-eyes', proposed_outcome = status, proposed_at = decided_at WHERE status <> 'open'",
    "ALTER TABLE compliance_reviews ADD CONSTRAINT compliance_reviews_status CHECK (status IN ('open', 'proposed', 'cleared', 'confirmed'))",
    "ALTER TABLE compliance_reviews ADD CONSTRAINT compliance_reviews_decided CHECK ((status = 'open' AND proposed_by IS NULL AND proposed_outcome IS NULL AND proposed_at IS NULL AND reason IS NULL AND decided_by IS NULL AND decided_at IS NULL) OR (status = 'proposed' AND proposed_by IS NOT NULL AND proposed_outcome IS NOT NULL AND proposed_outcome IN ('cleared', 'confirmed') AND proposed_at IS NOT NULL AND reason IS NOT NULL AND decided_by IS NULL AND decided_at IS NULL) OR (status IN ('cleared', 'confirmed') AND proposed_by IS NOT NULL AND proposed_outcome IS NOT NULL AND proposed_outcome = status AND proposed_at IS NOT NULL AND reason IS NOT NULL AND decided_by IS NOT NULL AND decided_at IS NOT NULL))",
    "ALTER TABLE compliance_reviews ADD CONSTRAINT compliance_reviews_four_eyes CHECK (decided_by IS NULL OR (decided_by <> opened_by AND decided_by <> proposed_by))",
    """
CREATE TABLE compliance_review_steps (
    step_id SERIAL NOT NULL,
    review_id INTEGER NOT NULL,
    action VARCHAR(16) NOT NULL,
    officer VARCHAR(64) NOT NULL,
    outcome VARCHAR(16) NOT NULL,
    reason TEXT NOT NULL,
    at VARCHAR(32) NOT NULL,
    PRIMARY KEY (step_id),
    CONSTRAINT compliance_review_steps_action CHECK (action IN ('proposed', 'approved', 'rejected')),
    CONSTRAINT compliance_review_steps_outcome CHECK (outcome IN ('cleared', 'confirmed')),
    FOREIGN KEY(review_id) REFERENCES compliance_reviews (review_id)
)
""",
    "CREATE INDEX ix_compliance_review_steps_review_id ON compliance_review_steps (review_id)",
    """
CREATE TABLE compliance_review_releases (
    review_id INTEGER NOT NULL,
    context VARCHAR(64) NOT NULL,
    outcome VARCHAR(16) NOT NULL,
    status VARCHAR(16) NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    note TEXT,
    created_at VARCHAR(32) NOT NULL,
    done_at VARCHAR(32),
    PRIMARY KEY (review_id),
    CONSTRAINT compliance_review_releases_outcome CHECK (outcome IN ('cleared', 'confirmed')),
    CONSTRAINT compliance_review_releases_attempts CHECK (attempts >= 0),
    CONSTRAINT compliance_review_releases_status CHECK ((status = 'pending' AND done_at IS NULL) OR (status = 'done' AND done_at IS NOT NULL AND note IS NOT NULL)),
    FOREIGN KEY(review_id) REFERENCES compliance_reviews (review_id)
)
""",
    "CREATE INDEX ix_compliance_review_releases_status ON compliance_review_releases (status)",
)

MIGRATION: Final = Migration(
    2,
    "four-eyes proposals, review steps, release outbox",
    ddl_step(sqlite=SQLITE, postgresql=POSTGRESQL),
)
