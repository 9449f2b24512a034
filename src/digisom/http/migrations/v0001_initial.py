"""HTTP migration 1 (added 2026-12-07): the idempotency keys' stored responses, in the HTTP
layer's own table (they were in the digital som's `cbdc_idempotency_keys`, which the
response store still reads for keys stored before this release: `digisom.http.response_store`)."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

SQLITE: Final = (
    """
CREATE TABLE http_idempotency_keys (
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
)

POSTGRESQL: Final = (
    """
CREATE TABLE http_idempotency_keys (
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
)

MIGRATION: Final = Migration(1, "initial", ddl_step(sqlite=SQLITE, postgresql=POSTGRESQL))
