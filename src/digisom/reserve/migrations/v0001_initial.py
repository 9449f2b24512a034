"""Reserve migration 1 (added 2026-12-07): proposals, approvals, their history, the chain
events the books mirror, the follower's cursors and publications.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `reserve/tables.py` describes the result of all
steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

_SQLITE: Final = (
    """
CREATE TABLE reserve_chain_events (
    event_id VARCHAR(64) NOT NULL,
    asset VARCHAR(16) NOT NULL,
    address VARCHAR(42) NOT NULL,
    direction VARCHAR(3) NOT NULL,
    amount_units VARCHAR(78) NOT NULL,
    tx_hash VARCHAR(66) NOT NULL,
    log_index INTEGER NOT NULL,
    block_number BIGINT NOT NULL,
    block_hash VARCHAR(66) NOT NULL,
    state VARCHAR(8) NOT NULL,
    PRIMARY KEY (event_id),
    CONSTRAINT reserve_chain_events_direction CHECK (direction IN ('in', 'out')),
    CONSTRAINT reserve_chain_events_state CHECK (state IN ('pending', 'posted', 'voided'))
)
""",
    "CREATE INDEX reserve_chain_events_by_state ON reserve_chain_events (asset, state)",
    """
CREATE TABLE reserve_cursors (
    asset VARCHAR(16) NOT NULL,
    address VARCHAR(42) NOT NULL,
    confirmed_to_block BIGINT NOT NULL,
    PRIMARY KEY (asset, address)
)
""",
    """
CREATE TABLE reserve_history (
    seq INTEGER NOT NULL,
    proposal_id VARCHAR(64),
    kind VARCHAR(32) NOT NULL,
    actor VARCHAR(64) NOT NULL,
    detail TEXT NOT NULL,
    at_s BIGINT NOT NULL,
    PRIMARY KEY (seq)
)
""",
    "CREATE INDEX ix_reserve_history_proposal_id ON reserve_history (proposal_id)",
    """
CREATE TABLE reserve_proposals (
    proposal_id VARCHAR(64) NOT NULL,
    asset VARCHAR(16) NOT NULL,
    destination VARCHAR(42) NOT NULL,
    amount_units VARCHAR(78) NOT NULL,
    chain_id BIGINT NOT NULL,
    wallet VARCHAR(42) NOT NULL,
    tx_to VARCHAR(42) NOT NULL,
    tx_value_units VARCHAR(78) NOT NULL,
    tx_data TEXT NOT NULL,
    nonce BIGINT NOT NULL,
    open_nonce BIGINT,
    digest VARCHAR(64) NOT NULL,
    approvals_required INTEGER NOT NULL,
    time_locked INTEGER NOT NULL,
    proposed_by VARCHAR(64) NOT NULL,
    proposed_at_s BIGINT NOT NULL,
    expires_at_s BIGINT NOT NULL,
    executable_at_s BIGINT,
    state VARCHAR(16) NOT NULL,
    executed_tx VARCHAR(66),
    PRIMARY KEY (proposal_id),
    CONSTRAINT reserve_proposals_one_open_per_nonce UNIQUE (wallet, open_nonce),
    CONSTRAINT reserve_proposals_state CHECK (state IN ('open', 'queued', 'executed', 'refused', 'expired')),
    CONSTRAINT reserve_proposals_approvals CHECK (approvals_required >= 1),
    CONSTRAINT reserve_proposals_locked CHECK (time_locked IN (0, 1)),
    CONSTRAINT reserve_proposals_digest CHECK (length(digest) = 64),
    CONSTRAINT reserve_proposals_open_nonce CHECK ((open_nonce IS NULL) = (state IN ('executed', 'refused', 'expired')))
)
""",
    """
CREATE TABLE reserve_publications (
    publication_id VARCHAR(64) NOT NULL,
    published_on VARCHAR(10) NOT NULL,
    block BIGINT NOT NULL,
    document TEXT NOT NULL,
    published_by VARCHAR(64) NOT NULL,
    published_at_s BIGINT NOT NULL,
    PRIMARY KEY (publication_id)
)
""",
    """
CREATE TABLE reserve_approvals (
    proposal_id VARCHAR(64) NOT NULL,
    signer VARCHAR(42) NOT NULL,
    officer_id VARCHAR(64) NOT NULL,
    signature VARCHAR(130) NOT NULL,
    submitted_by VARCHAR(64) NOT NULL,
    approved_at_s BIGINT NOT NULL,
    PRIMARY KEY (proposal_id, signer),
    CONSTRAINT reserve_approvals_signature CHECK (length(signature) = 130),
    FOREIGN KEY(proposal_id) REFERENCES reserve_proposals (proposal_id)
)
""",
)

_POSTGRESQL: Final = (
    """
CREATE TABLE reserve_chain_events (
    event_id VARCHAR(64) NOT NULL,
    asset VARCHAR(16) NOT NULL,
    address VARCHAR(42) NOT NULL,
    direction VARCHAR(3) NOT NULL,
    amount_units VARCHAR(78) NOT NULL,
    tx_hash VARCHAR(66) NOT NULL,
    log_index INTEGER NOT NULL,
    block_number BIGINT NOT NULL,
    block_hash VARCHAR(66) NOT NULL,
    state VARCHAR(8) NOT NULL,
    PRIMARY KEY (event_id),
    CONSTRAINT reserve_chain_events_direction CHECK (direction IN ('in', 'out')),
    CONSTRAINT reserve_chain_events_state CHECK (state IN ('pending', 'posted', 'voided'))
)
""",
    "CREATE INDEX reserve_chain_events_by_state ON reserve_chain_events (asset, state)",
    """
CREATE TABLE reserve_cursors (
    asset VARCHAR(16) NOT NULL,
    address VARCHAR(42) NOT NULL,
    confirmed_to_block BIGINT NOT NULL,
    PRIMARY KEY (asset, address)
)
""",
    """
CREATE TABLE reserve_history (
    seq SERIAL NOT NULL,
    proposal_id VARCHAR(64),
    kind VARCHAR(32) NOT NULL,
    actor VARCHAR(64) NOT NULL,
    detail TEXT NOT NULL,
    at_s BIGINT NOT NULL,
    PRIMARY KEY (seq)
)
""",
    "CREATE INDEX ix_reserve_history_proposal_id ON reserve_history (proposal_id)",
    """
CREATE TABLE reserve_proposals (
    proposal_id VARCHAR(64) NOT NULL,
    asset VARCHAR(16) NOT NULL,
    destination VARCHAR(42) NOT NULL,
    amount_units VARCHAR(78) NOT NULL,
    chain_id BIGINT NOT NULL,
    wallet VARCHAR(42) NOT NULL,
    tx_to VARCHAR(42) NOT NULL,
    tx_value_units VARCHAR(78) NOT NULL,
    tx_data TEXT NOT NULL,
    nonce BIGINT NOT NULL,
    open_nonce BIGINT,
    digest VARCHAR(64) NOT NULL,
    approvals_required INTEGER NOT NULL,
    time_locked INTEGER NOT NULL,
    proposed_by VARCHAR(64) NOT NULL,
    proposed_at_s BIGINT NOT NULL,
    expires_at_s BIGINT NOT NULL,
    executable_at_s BIGINT,
    state VARCHAR(16) NOT NULL,
    executed_tx VARCHAR(66),
    PRIMARY KEY (proposal_id),
    CONSTRAINT reserve_proposals_one_open_per_nonce UNIQUE (wallet, open_nonce),
    CONSTRAINT reserve_proposals_state CHECK (state IN ('open', 'queued', 'executed', 'refused', 'expired')),
    CONSTRAINT reserve_proposals_approvals CHECK (approvals_required >= 1),
    CONSTRAINT reserve_proposals_locked CHECK (time_locked IN (0, 1)),
    CONSTRAINT reserve_proposals_digest CHECK (length(digest) = 64),
    CONSTRAINT reserve_proposals_open_nonce CHECK ((open_nonce IS NULL) = (state IN ('executed', 'refused', 'expired')))
)
""",
    """
CREATE TABLE reserve_publications (
    publication_id VARCHAR(64) NOT NULL,
    published_on VARCHAR(10) NOT NULL,
    block BIGINT NOT NULL,
    document TEXT NOT NULL,
    published_by VARCHAR(64) NOT NULL,
    published_at_s BIGINT NOT NULL,
    PRIMARY KEY (publication_id)
)
""",
    """
CREATE TABLE reserve_approvals (
    proposal_id VARCHAR(64) NOT NULL,
    signer VARCHAR(42) NOT NULL,
    officer_id VARCHAR(64) NOT NULL,
    signature VARCHAR(130) NOT NULL,
    submitted_by VARCHAR(64) NOT NULL,
    approved_at_s BIGINT NOT NULL,
    PRIMARY KEY (proposal_id, signer),
    CONSTRAINT reserve_approvals_signature CHECK (length(signature) = 130),
    FOREIGN KEY(proposal_id) REFERENCES reserve_proposals (proposal_id)
)
""",
)

MIGRATION: Final = Migration(1, "reserve proposals, approvals, history, books and publications",
                             ddl_step(sqlite=_SQLITE, postgresql=_POSTGRESQL))
