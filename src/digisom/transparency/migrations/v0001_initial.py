"""Transparency log migration 1 (added 2026-12-07): entries, signed tree heads, anchors.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `transparency/tables.py` describes the result
of all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

_TABLES: Final = (
    """
CREATE TABLE transparency_entries (
    leaf_index BIGINT NOT NULL,
    record_id VARCHAR(200) NOT NULL,
    kind VARCHAR(32) NOT NULL,
    entry TEXT NOT NULL,
    leaf_hash VARCHAR(64) NOT NULL,
    PRIMARY KEY (leaf_index),
    UNIQUE (record_id),
    CONSTRAINT ck_transparency_entries_index CHECK (leaf_index >= 0),
    CONSTRAINT ck_transparency_entries_hash CHECK (length(leaf_hash) = 64)
)
""",
    """
CREATE TABLE transparency_tree_heads (
    tree_size BIGINT NOT NULL,
    root_hash VARCHAR(64) NOT NULL,
    timestamp_ms BIGINT NOT NULL,
    signature VARCHAR(128) NOT NULL,
    PRIMARY KEY (tree_size),
    CONSTRAINT ck_transparency_tree_heads_size CHECK (tree_size >= 0),
    CONSTRAINT ck_transparency_tree_heads_root CHECK (length(root_hash) = 64),
    CONSTRAINT ck_transparency_tree_heads_signature CHECK (length(signature) = 128)
)
""",
    """
CREATE TABLE transparency_anchors (
    tree_size BIGINT NOT NULL,
    sth_hash VARCHAR(64) NOT NULL,
    chain_id BIGINT NOT NULL,
    tx_hash VARCHAR(66) NOT NULL,
    raw_tx TEXT NOT NULL,
    block_number BIGINT NOT NULL,
    PRIMARY KEY (tree_size),
    FOREIGN KEY (tree_size) REFERENCES transparency_tree_heads (tree_size),
    CONSTRAINT ck_transparency_anchors_sth CHECK (length(sth_hash) = 64),
    CONSTRAINT ck_transparency_anchors_tx CHECK (length(tx_hash) = 66)
)
""",
)

MIGRATION: Final = Migration(1, "the public transparency log", ddl_step(sqlite=_TABLES, postgresql=_TABLES))
