"""The volume reports' table (SQLAlchemy Core): one row per report version, append-only.

A version is never replaced: the primary key (VASP, period, version) admits each once,
the self-reference makes version n+1 name version n, and migration 1's triggers refuse
every UPDATE, DELETE (and, on PostgreSQL, TRUNCATE) of the table, so the rule holds for
any writer, not only this code. `report` is the canonical JSON the VASP signed, so anyone
verifies `signature` under `public_key` (the licence key at submission) again."""

from __future__ import annotations

from typing import Final

from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata: Final = MetaData()

VASP_ID_CHARS_MAX: Final = 64
PERIOD_CHARS: Final = 7
ISO_TIME_CHARS: Final = 32
SHA256_HEX_CHARS: Final = 64
PRINCIPAL_CHARS_MAX: Final = 128

versions: Final = Table(
    "vasp_reports_versions",
    metadata,
    Column("vasp_id", String(VASP_ID_CHARS_MAX), primary_key=True),
    Column("period", String(PERIOD_CHARS), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("supersedes", Integer, nullable=True),
    Column("reason", Text, nullable=False),
    Column("report", Text, nullable=False),
    Column("report_sha256", String(SHA256_HEX_CHARS), nullable=False),
    Column("signature", LargeBinary(64), nullable=False),
    Column("public_key", LargeBinary(32), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("submitted_by", String(PRINCIPAL_CHARS_MAX), nullable=False),
    Column("received_at", String(ISO_TIME_CHARS), nullable=False),
    Column("late", Integer, nullable=False),
    CheckConstraint(
        "(version = 1 AND supersedes IS NULL AND reason = '') "
        "OR (version > 1 AND supersedes = version - 1 AND reason <> '')",
        name="vasp_reports_versions_chain",
    ),
    CheckConstraint("late IN (0, 1)", name="vasp_reports_versions_late"),
    CheckConstraint("channel IN ('api', 'csv')", name="vasp_reports_versions_channel"),
    ForeignKeyConstraint(["vasp_id", "period", "supersedes"],
                         ["vasp_reports_versions.vasp_id", "vasp_reports_versions.period",
                          "vasp_reports_versions.version"],
                         name="vasp_reports_versions_supersedes"),
    Index("ix_vasp_reports_versions_period", "period"),
)
