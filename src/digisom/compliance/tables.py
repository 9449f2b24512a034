"""Compliance's tables (SQLAlchemy Core): every screening decision with the list
versions, the score and the rule behind it, and the four-eyes review queue.

The four-eyes rule is checked twice: by `decisions.Decisions` (propose, approve) and by
the `compliance_reviews_decided` and `compliance_reviews_four_eyes` CHECKs (a final
outcome is the proposed one, approved by an officer who neither proposed it nor opened
the review). Scores are integer thousandths; times are ISO 8601
UTC text (`digisom.kernel.clock.iso_utc`).
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, MetaData, String, Table, Text

metadata: Final = MetaData()

PERSON_CHARS_MAX: Final = 64
SUBJECT_CHARS_MAX: Final = 500
ISO_TIME_CHARS: Final = 32

screenings: Final = Table(
    "compliance_screenings",
    metadata,
    Column("screening_id", Integer, primary_key=True, autoincrement=True),
    Column("subject_kind", String(16), nullable=False),
    Column("subject", String(SUBJECT_CHARS_MAX), nullable=False),
    Column("subject_schema", String(16), nullable=False),
    Column("context", String(64), nullable=False),  # where it ran: wallet opening, a remittance's sender...
    Column("requested_by", String(PERSON_CHARS_MAX), nullable=False),
    Column("decision", String(8), nullable=False),
    Column("rule", String(32), nullable=False),
    Column("score_milli", Integer, nullable=False),
    Column("list_versions", Text, nullable=False),  # the SHA-256s of the lists screened against, comma-separated
    Column("matches", Text, nullable=False),  # JSON: [{"id", "caption", "score", "list_version"}]
    Column("screened_at", String(ISO_TIME_CHARS), nullable=False, index=True),
    CheckConstraint("subject_kind IN ('name', 'address')", name="compliance_screenings_kind"),
    CheckConstraint("decision IN ('hit', 'review', 'clear')", name="compliance_screenings_decision"),
    CheckConstraint("score_milli BETWEEN 0 AND 1000", name="compliance_screenings_score"),
)

reviews: Final = Table(
    "compliance_reviews",
    metadata,
    Column("review_id", Integer, primary_key=True, autoincrement=True),
    Column("screening_id", Integer, ForeignKey("compliance_screenings.screening_id"), nullable=False, unique=True),
    Column("opened_by", String(PERSON_CHARS_MAX), nullable=False),
    Column("opened_at", String(ISO_TIME_CHARS), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("decided_by", String(PERSON_CHARS_MAX)),  # the second officer, who approved the proposal
    Column("decided_at", String(ISO_TIME_CHARS)),
    Column("reason", Text),  # the proposal's reason (the approver's note is in the steps)
    Column("proposed_by", String(PERSON_CHARS_MAX)),  # the first officer (migration 2)
    Column("proposed_outcome", String(16)),
    Column("proposed_at", String(ISO_TIME_CHARS)),
    CheckConstraint("status IN ('open', 'proposed', 'cleared', 'confirmed')", name="compliance_reviews_status"),
    # "IS NOT NULL" before each comparison: a NULL comparison would let the CHECK pass.
    CheckConstraint(
        "(status = 'open' AND proposed_by IS NULL AND proposed_outcome IS NULL AND proposed_at IS NULL"
        " AND reason IS NULL AND decided_by IS NULL AND decided_at IS NULL)"
        " OR (status = 'proposed' AND proposed_by IS NOT NULL AND proposed_outcome IS NOT NULL"
        " AND proposed_outcome IN ('cleared', 'confirmed') AND proposed_at IS NOT NULL AND reason IS NOT NULL"
        " AND decided_by IS NULL AND decided_at IS NULL)"
        " OR (status IN ('cleared', 'confirmed') AND proposed_by IS NOT NULL AND proposed_outcome IS NOT NULL"
        " AND proposed_outcome = status AND proposed_at IS NOT NULL AND reason IS NOT NULL"
        " AND decided_by IS NOT NULL AND decided_at IS NOT NULL)",
        name="compliance_reviews_decided",
    ),
    CheckConstraint("decided_by IS NULL OR (decided_by <> opened_by AND decided_by <> proposed_by)",
                    name="compliance_reviews_four_eyes"),
)

# Every step of a review's decision, kept: who proposed which outcome and why, who
# approved or rejected it and why (migration 2).
review_steps: Final = Table(
    "compliance_review_steps",
    metadata,
    Column("step_id", Integer, primary_key=True, autoincrement=True),
    Column("review_id", Integer, ForeignKey("compliance_reviews.review_id"), nullable=False, index=True),
    Column("action", String(16), nullable=False),
    Column("officer", String(PERSON_CHARS_MAX), nullable=False),
    Column("outcome", String(16), nullable=False),  # the outcome proposed (approved, rejected)
    Column("reason", Text, nullable=False),
    Column("at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("action IN ('proposed', 'approved', 'rejected')", name="compliance_review_steps_action"),
    CheckConstraint("outcome IN ('cleared', 'confirmed')", name="compliance_review_steps_outcome"),
)

# The outbox of final decisions (migration 2): written in the transaction that approves a
# review, so a crash before the domains act loses nothing; `releases.Releases` hands each
# pending row to the subscriber of its context and marks it done.
releases: Final = Table(
    "compliance_review_releases",
    metadata,
    Column("review_id", Integer, ForeignKey("compliance_reviews.review_id"), primary_key=True,
           autoincrement=False),
    Column("context", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("note", Text),  # what the subscriber did
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    Column("done_at", String(ISO_TIME_CHARS)),
    CheckConstraint("outcome IN ('cleared', 'confirmed')", name="compliance_review_releases_outcome"),
    CheckConstraint("attempts >= 0", name="compliance_review_releases_attempts"),
    CheckConstraint(
        "(status = 'pending' AND done_at IS NULL) OR (status = 'done' AND done_at IS NOT NULL AND note IS NOT NULL)",
        name="compliance_review_releases_status",
    ),
)
