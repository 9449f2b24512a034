"""The log's tables as they are after all its migrations (tests/test_migration_history.py
checks the migrations build exactly this).

- `transparency_entries`: leaf i of the tree: the record's canonical entry and its leaf
  hash; a record id once (appending is idempotent by id).
- `transparency_tree_heads`: every signed tree head, by size (the history clients check
  consistency between).
- `transparency_anchors`: the chain transaction that carries a tree head's digest.

The shapes are CHECKed here; what the rows say is checked by anyone with the public key
(`digisom verify-public`): a row edited in the database no longer matches the signed roots."""

from __future__ import annotations

from typing import Final

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, MetaData, String, Table, Text

metadata: Final = MetaData()

HASH_HEX_CHARS: Final = 64
SIGNATURE_HEX_CHARS: Final = 128

entries: Final = Table(
    "transparency_entries",
    metadata,
    Column("leaf_index", BigInteger, primary_key=True, autoincrement=False),
    Column("record_id", String(200), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("entry", Text, nullable=False),
    Column("leaf_hash", String(HASH_HEX_CHARS), nullable=False),
    CheckConstraint("leaf_index >= 0", name="ck_transparency_entries_index"),
    CheckConstraint("length(leaf_hash) = 64", name="ck_transparency_entries_hash"),
)

tree_heads: Final = Table(
    "transparency_tree_heads",
    metadata,
    Column("tree_size", BigInteger, primary_key=True, autoincrement=False),
    Column("root_hash", String(HASH_HEX_CHARS), nullable=False),
    Column("timestamp_ms", BigInteger, nullable=False),
    Column("signature", String(SIGNATURE_HEX_CHARS), nullable=False),
    CheckConstraint("tree_size >= 0", name="ck_transparency_tree_heads_size"),
    CheckConstraint("length(root_hash) = 64", name="ck_transparency_tree_heads_root"),
    CheckConstraint("length(signature) = 128", name="ck_transparency_tree_heads_signature"),
)

anchors: Final = Table(
    "transparency_anchors",
    metadata,
    Column("tree_size", BigInteger, ForeignKey("transparency_tree_heads.tree_size"), primary_key=True,
           autoincrement=False),
    Column("sth_hash", String(HASH_HEX_CHARS), nullable=False),
    Column("chain_id", BigInteger, nullable=False),
    Column("tx_hash", String(66), nullable=False),
    Column("raw_tx", Text, nullable=False),
    Column("block_number", BigInteger, nullable=False),
    CheckConstraint("length(sth_hash) = 64", name="ck_transparency_anchors_sth"),
    CheckConstraint("length(tx_hash) = 66", name="ck_transparency_anchors_tx"),
)
