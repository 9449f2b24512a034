"""The exchange's tables (SQLAlchemy Core): the result of all its migrations.

Rules are checked twice, by the service and by the constraints below: one inquiry per
sender and sender's id, an amount positive, IVMS101 data stored whenever the amount was
at or above the threshold, a rejected inquiry has its reason, a confirmed one (and only
a confirmed one) its transaction reference. Times are ISO 8601 UTC text.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, Integer, MetaData, String, Table, Text

metadata: Final = MetaData()

ID_CHARS_MAX: Final = 64
INQUIRY_ID_CHARS: Final = 36  # "tri_" and 32 hex digits
ADDRESS_CHARS_MAX: Final = 128
REFERENCE_CHARS_MAX: Final = 128
URL_CHARS_MAX: Final = 500
REASON_CHARS_MAX: Final = 500
SUBJECT_CHARS_MAX: Final = 500
ISO_TIME_CHARS: Final = 32
SHA256_HEX_CHARS: Final = 64

inquiries: Final = Table(
    "travelrule_inquiries",
    metadata,
    Column("inquiry_id", String(INQUIRY_ID_CHARS), primary_key=True),
    Column("party_role", String(16), nullable=False),
    Column("party_id", String(ID_CHARS_MAX), nullable=False),
    Column("request_id", String(ID_CHARS_MAX), nullable=False),
    Column("body_sha256", String(SHA256_HEX_CHARS), nullable=False),
    Column("asset", String(8), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("beneficiary_wallet_id", String(ID_CHARS_MAX), nullable=False),
    Column("beneficiary_address", String(ADDRESS_CHARS_MAX), nullable=False),
    Column("originator_address", String(ADDRESS_CHARS_MAX), nullable=False),
    Column("usd_equivalent_cents", BigInteger, nullable=False),
    Column("threshold_usd_cents", BigInteger, nullable=False),
    Column("payload", Text, nullable=False),
    Column("payload_sha256", String(SHA256_HEX_CHARS), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(REASON_CHARS_MAX), nullable=False),
    Column("tx_reference", String(REFERENCE_CHARS_MAX), nullable=False),
    Column("callback_url", String(URL_CHARS_MAX), nullable=False),
    Column("decided_by", String(200), nullable=False),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    Column("updated_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("party_role IN ('partner', 'vasp')", name="travelrule_inquiries_party"),
    CheckConstraint("amount_minor > 0 AND usd_equivalent_cents >= 0 AND threshold_usd_cents > 0",
                    name="travelrule_inquiries_amounts"),
    CheckConstraint("(beneficiary_wallet_id = '') <> (beneficiary_address = '')",
                    name="travelrule_inquiries_beneficiary"),
    CheckConstraint("usd_equivalent_cents < threshold_usd_cents OR payload <> ''",
                    name="travelrule_inquiries_ivms101_required"),
    CheckConstraint("(payload = '') = (payload_sha256 = '')", name="travelrule_inquiries_payload_digest"),
    CheckConstraint("status IN ('approved', 'rejected', 'pending_review', 'confirmed')",
                    name="travelrule_inquiries_status"),
    CheckConstraint("(status = 'rejected') = (reason <> '')", name="travelrule_inquiries_reason"),
    CheckConstraint("(status = 'confirmed') = (tx_reference <> '')", name="travelrule_inquiries_confirmed"),
    Index("ux_travelrule_inquiries_request", "party_role", "party_id", "request_id", unique=True),
    Index("ix_travelrule_inquiries_status", "status"),
)

screenings: Final = Table(
    "travelrule_screenings",
    metadata,
    Column("inquiry_id", String(INQUIRY_ID_CHARS), ForeignKey("travelrule_inquiries.inquiry_id"),
           primary_key=True),
    Column("party", String(40), primary_key=True),
    Column("subject", String(SUBJECT_CHARS_MAX), nullable=False),
    Column("decision", String(8), nullable=False),
    Column("reason", String(REASON_CHARS_MAX), nullable=False),
    CheckConstraint("decision IN ('hit', 'review', 'clear')", name="travelrule_screenings_decision"),
)

# The callbacks' outbox (migration 2): one row per held inquiry that was decided and named
# a callback URL; the body is what is posted, byte for byte (and signed).
CALLBACK_ID_CHARS: Final = 36  # "trc_" and 32 hex digits
ERROR_CHARS_MAX: Final = 500

callbacks: Final = Table(
    "travelrule_callbacks",
    metadata,
    Column("callback_id", String(CALLBACK_ID_CHARS), primary_key=True),
    Column("inquiry_id", String(INQUIRY_ID_CHARS), ForeignKey("travelrule_inquiries.inquiry_id"), nullable=False),
    Column("url", String(URL_CHARS_MAX), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", String(ISO_TIME_CHARS), nullable=False),
    Column("delivered_at", String(ISO_TIME_CHARS), nullable=False),
    Column("last_error", String(ERROR_CHARS_MAX), nullable=False),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="travelrule_callbacks_status"),
    CheckConstraint("attempts >= 0", name="travelrule_callbacks_attempts"),
    CheckConstraint("(status = 'delivered') = (delivered_at <> '')", name="travelrule_callbacks_delivered"),
    CheckConstraint("status <> 'failed' OR attempts > 0", name="travelrule_callbacks_failed"),
    CheckConstraint("url LIKE 'https://%'", name="travelrule_callbacks_https"),
    Index("ux_travelrule_callbacks_inquiry", "inquiry_id", unique=True),
    Index("ix_travelrule_callbacks_due", "status", "next_attempt_at"),
)
