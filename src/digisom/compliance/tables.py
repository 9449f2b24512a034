"""Compliance's tables (SQLAlchemy Core): every screening decision with the list
versions, the score and the rule behind it, and the four-eyes review queue.

The four-eyes rule is checked twice: by `decisions.Decisions.decide` and by the
`compliance_reviews_four_eyes` CHECK. Scores are integer thousandths; times are ISO 8601
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
    Column("decided_by", String(PERSON_CHARS_MAX)),
    Column("decided_at", String(ISO_TIME_CHARS)),
    Column("reason", Text),
    CheckConstraint("status IN ('open', 'cleared', 'confirmed')", name="compliance_reviews_status"),
    CheckConstraint(
        "(status = 'open' AND decided_by IS NULL AND decided_at IS NULL AND reason IS NULL)"
        " OR (status <> 'open' AND decided_by IS NOT NULL AND decided_at IS NOT NULL AND reason IS NOT NULL)",
        name="compliance_reviews_decided",
    ),
    CheckConstraint("decided_by IS NULL OR decided_by <> opened_by", name="compliance_reviews_four_eyes"),
)
