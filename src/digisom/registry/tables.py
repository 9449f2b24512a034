"""The register's tables as they are after all its migrations (tests/test_migration_history.py
checks the migrations build exactly this).

- `registry_assets`: the first register's one table, kept as the read model of old
  readers (`/v1/registry/assets`): a row per registered asset and chain, insert-only.
- `registry_events`: the append-only, hash-chained, signed log of every change to the
  register of assets and to VASP licences. `prev_hash` is unique (one successor per event:
  no fork) and triggers refuse UPDATE and DELETE (migration 2).
- `registry_documents`: VASP application documents by SHA-256, size-checked.
- `registry_reviews`: each approved licence review, with the CHECK that its approver is
  not its proposer (four eyes, independent of the code).
- `registry_licence_numbers`: each licence number once.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata: Final = MetaData()

HASH_HEX_CHARS: Final = 64
SIGNATURE_HEX_CHARS: Final = 128
DOCUMENT_BYTES_MAX: Final = 2 * 1024 * 1024

assets: Final = Table(
    "registry_assets",
    metadata,
    Column("entry_id", String(200), primary_key=True),
    Column("symbol", String(16), nullable=False),
    Column("asset", String(200), nullable=False),
    Column("issuer", String(200), nullable=False),
    Column("peg", String(100), nullable=False),
    Column("standard", String(32), nullable=False),
    Column("chain_id", BigInteger, nullable=False),
    Column("contract_address", String(42), nullable=False),
    Column("decimals", Integer, nullable=False),
    Column("reserve_report_url", String(400), nullable=False),
    Column("registered_at", String(32), nullable=False),
)

events: Final = Table(
    "registry_events",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("stream", String(80), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("body", Text, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("at", String(32), nullable=False),
    Column("prev_hash", String(HASH_HEX_CHARS), nullable=False, unique=True),
    Column("hash", String(HASH_HEX_CHARS), nullable=False, unique=True),
    Column("signature", String(SIGNATURE_HEX_CHARS), nullable=False),
    CheckConstraint("seq >= 1", name="ck_registry_events_seq"),
    CheckConstraint("prev_hash <> hash", name="ck_registry_events_link"),
)

documents: Final = Table(
    "registry_documents",
    metadata,
    Column("vasp_id", String(64), primary_key=True),
    Column("sha256", String(HASH_HEX_CHARS), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("size_bytes", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("stored_at", String(32), nullable=False),
    CheckConstraint(f"size_bytes >= 1 AND size_bytes <= {DOCUMENT_BYTES_MAX}", name="ck_registry_documents_size"),
)

reviews: Final = Table(
    "registry_reviews",
    metadata,
    Column("event_seq", BigInteger, primary_key=True, autoincrement=False),
    Column("vasp_id", String(64), nullable=False),
    Column("decision", String(10), nullable=False),
    Column("proposed_by", String(100), nullable=False),
    Column("approved_by", String(100), nullable=False),
    CheckConstraint("approved_by <> proposed_by", name="ck_registry_reviews_four_eyes"),
    CheckConstraint("decision IN ('grant', 'refuse')", name="ck_registry_reviews_decision"),
)

licence_numbers: Final = Table(
    "registry_licence_numbers",
    metadata,
    Column("number", String(40), primary_key=True),
    Column("vasp_id", String(64), nullable=False),
)
