"""Proof of reserves' table (SQLAlchemy Core): each published liabilities root with the
reserves attestation that covers it and the regulator's check of it. No customer data:
only the root's public figures. Append-only: a root is published once.

The root is checked twice: `publication.publish` validates it, and the CHECKs hold its
shape (a 64-hex root, a depth the tree format allows, a u64 total as decimal text, since
SQL's BIGINT is signed)."""

from __future__ import annotations

from typing import Final

from sqlalchemy import BigInteger, CheckConstraint, Column, Integer, MetaData, String, Table, Text

metadata: Final = MetaData()

roots: Final = Table(
    "por_roots",
    metadata,
    Column("root_id", String(64), primary_key=True),  # the root hash, hex
    Column("custodian_id", String(64), nullable=False, index=True),
    Column("asset", String(16), nullable=False),
    Column("total_units", String(20), nullable=False),
    Column("leaves", BigInteger, nullable=False),
    Column("depth", Integer, nullable=False),
    Column("built_at", String(32), nullable=False),
    Column("published_by", String(64), nullable=False),
    Column("published_at", String(32), nullable=False),
    Column("reserves", Text, nullable=False),  # JSON: the attestation as published (reserves.json)
    Column("reserve_check", Text, nullable=False),  # JSON: the check's verdict at publication
    Column("reserves_hold", Integer, nullable=False),
    CheckConstraint("length(root_id) = 64", name="por_roots_root_hex"),
    CheckConstraint("depth BETWEEN 0 AND 32", name="por_roots_depth"),
    CheckConstraint("leaves >= 1", name="por_roots_leaves"),
    CheckConstraint("length(total_units) BETWEEN 1 AND 20", name="por_roots_total"),
    CheckConstraint("reserves_hold IN (0, 1)", name="por_roots_hold"),
)
