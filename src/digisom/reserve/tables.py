"""The reserve's tables (SQLAlchemy Core): proposals, their approvals, the append-only
history of everything that happened to them, the chain events the books mirror, and
publications.

Each rule is checked twice: the service refuses, and the database holds the shape.
`open_nonce` is the proposal's multisig nonce while it is open and NULL once closed, so a
unique key keeps two open proposals from claiming one nonce (NULLs never clash). An
approval's key (proposal, signer) keeps one officer from counting twice. Amounts are
decimal text: a wei amount exceeds SQL's BIGINT."""

from __future__ import annotations

from typing import Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata: Final = MetaData()

PROPOSAL_STATES: Final = ("open", "queued", "executed", "refused", "expired")

proposals: Final = Table(
    "reserve_proposals",
    metadata,
    Column("proposal_id", String(64), primary_key=True),
    Column("asset", String(16), nullable=False),
    Column("destination", String(42), nullable=False),
    Column("amount_units", String(78), nullable=False),
    Column("chain_id", BigInteger, nullable=False),
    Column("wallet", String(42), nullable=False),
    Column("tx_to", String(42), nullable=False),
    Column("tx_value_units", String(78), nullable=False),
    Column("tx_data", Text, nullable=False),  # hex
    Column("nonce", BigInteger, nullable=False),
    Column("open_nonce", BigInteger, nullable=True),
    Column("digest", String(64), nullable=False),
    Column("approvals_required", Integer, nullable=False),
    Column("time_locked", Integer, nullable=False),
    Column("proposed_by", String(64), nullable=False),
    Column("proposed_at_s", BigInteger, nullable=False),
    Column("expires_at_s", BigInteger, nullable=False),
    Column("executable_at_s", BigInteger, nullable=True),
    Column("state", String(16), nullable=False),
    Column("executed_tx", String(66), nullable=True),
    UniqueConstraint("wallet", "open_nonce", name="reserve_proposals_one_open_per_nonce"),
    CheckConstraint("state IN ('open', 'queued', 'executed', 'refused', 'expired')", name="reserve_proposals_state"),
    CheckConstraint("approvals_required >= 1", name="reserve_proposals_approvals"),
    CheckConstraint("time_locked IN (0, 1)", name="reserve_proposals_locked"),
    CheckConstraint("length(digest) = 64", name="reserve_proposals_digest"),
    CheckConstraint("(open_nonce IS NULL) = (state IN ('executed', 'refused', 'expired'))",
                    name="reserve_proposals_open_nonce"),
)

approvals: Final = Table(
    "reserve_approvals",
    metadata,
    Column("proposal_id", String(64), ForeignKey("reserve_proposals.proposal_id"), primary_key=True),
    Column("signer", String(42), primary_key=True),
    Column("officer_id", String(64), nullable=False),
    Column("signature", String(130), nullable=False),  # hex r || s || v
    Column("submitted_by", String(64), nullable=False),
    Column("approved_at_s", BigInteger, nullable=False),
    CheckConstraint("length(signature) = 130", name="reserve_approvals_signature"),
)

history: Final = Table(
    "reserve_history",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("proposal_id", String(64), nullable=True, index=True),
    Column("kind", String(32), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("detail", Text, nullable=False),
    Column("at_s", BigInteger, nullable=False),
)

chain_events: Final = Table(
    "reserve_chain_events",
    metadata,
    Column("event_id", String(64), primary_key=True),  # hash of chain, tx, log index and block hash
    Column("asset", String(16), nullable=False),
    Column("address", String(42), nullable=False),
    Column("direction", String(3), nullable=False),
    Column("amount_units", String(78), nullable=False),
    Column("tx_hash", String(66), nullable=False),
    Column("log_index", Integer, nullable=False),
    Column("block_number", BigInteger, nullable=False),
    Column("block_hash", String(66), nullable=False),
    Column("state", String(8), nullable=False),
    CheckConstraint("direction IN ('in', 'out')", name="reserve_chain_events_direction"),
    CheckConstraint("state IN ('pending', 'posted', 'voided')", name="reserve_chain_events_state"),
    Index("reserve_chain_events_by_state", "asset", "state"),
)

cursors: Final = Table(
    "reserve_cursors",
    metadata,
    Column("asset", String(16), primary_key=True),
    Column("address", String(42), primary_key=True),
    Column("confirmed_to_block", BigInteger, nullable=False),
)

publications: Final = Table(
    "reserve_publications",
    metadata,
    Column("publication_id", String(64), primary_key=True),  # the holdings root, hex
    Column("published_on", String(10), nullable=False),
    Column("block", BigInteger, nullable=False),
    Column("document", Text, nullable=False),  # the publication JSON as published
    Column("published_by", String(64), nullable=False),
    Column("published_at_s", BigInteger, nullable=False),
)
