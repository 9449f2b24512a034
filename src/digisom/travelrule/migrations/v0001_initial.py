"""Travel-rule migration 1 (added 2026-12-08): inquiries (the request, the IVMS101
payload as received and its SHA-256, the answer, the confirmation) and their screenings.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `travelrule/tables.py` describes the result
of all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

# The same DDL on SQLite and PostgreSQL (no serial keys).
DDL: Final = (
    """
CREATE TABLE travelrule_inquiries (
    inquiry_id VARCHAR(36) NOT NULL,
    party_role VARCHAR(16) NOT NULL,
    party_id VARCHAR(64) NOT NULL,
    request_id VARCHAR(64) NOT NULL,
    body_sha256 VARCHAR(64) NOT NULL,
    asset VARCHAR(8) NOT NULL,
    amount_minor BIGINT NOT NULL,
    beneficiary_wallet_id VARCHAR(64) NOT NULL,
    beneficiary_address VARCHAR(128) NOT NULL,
    originator_address VARCHAR(128) NOT NULL,
    usd_equivalent_cents BIGINT NOT NULL,
    threshold_usd_cents BIGINT NOT NULL,
    payload TEXT NOT NULL,
    payload_sha256 VARCHAR(64) NOT NULL,
    status VARCHAR(16) NOT NULL,
    reason VARCHAR(500) NOT NULL,
    tx_reference VARCHAR(128) NOT NULL,
    callback_url VARCHAR(500) NOT NULL,
    decided_by VARCHAR(200) NOT NULL,
    created_at VARCHAR(32) NOT NULL,
    updated_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (inquiry_id),
    CONSTRAINT travelrule_inquiries_party CHECK (party_role IN ('partner', 'vasp')),
    CONSTRAINT travelrule_inquiries_amounts CHECK (amount_minor > 0 AND usd_equivalent_cents >= 0 AND threshold_usd_cents > 0),
    CONSTRAINT travelrule_inquiries_beneficiary CHECK ((beneficiary_wallet_id = '') <> (beneficiary_address = '')),
    CONSTRAINT travelrule_inquiries_ivms101_required CHECK (usd_equivalent_cents < threshold_usd_cents OR payload <> ''),
    CONSTRAINT travelrule_inquiries_payload_digest CHECK ((payload = '') = (payload_sha256 = '')),
    CONSTRAINT travelrule_inquiries_status CHECK (status IN ('approved', 'rejected', 'pending_review', 'confirmed')),
    CONSTRAINT travelrule_inquiries_reason CHECK ((status = 'rejected') = (reason <> '')),
    CONSTRAINT travelrule_inquiries_confirmed CHECK ((status = 'confirmed') = (tx_reference <> ''))
)
""",
    "CREATE UNIQUE INDEX ux_travelrule_inquiries_request ON travelrule_inquiries (party_role, party_id, request_id)",
    "CREATE INDEX ix_travelrule_inquiries_status ON travelrule_inquiries (status)",
    """
CREATE TABLE travelrule_screenings (
    inquiry_id VARCHAR(36) NOT NULL,
    party VARCHAR(40) NOT NULL,
    subject VARCHAR(500) NOT NULL,
    decision VARCHAR(8) NOT NULL,
    reason VARCHAR(500) NOT NULL,
    PRIMARY KEY (inquiry_id, party),
    FOREIGN KEY (inquiry_id) REFERENCES travelrule_inquiries (inquiry_id),
    CONSTRAINT travelrule_screenings_decision CHECK (decision IN ('hit', 'review', 'clear'))
)
""",
)

MIGRATION: Final = Migration(1, "travel-rule inquiries", ddl_step(sqlite=DDL, postgresql=DDL))
