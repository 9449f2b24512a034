"""Versioned schema migrations for the domains' own tables (SQLAlchemy Core).

Each domain (cbdc, interbank, offline, stablecoin, ...) lists its numbered steps and
calls `migrate(engine, domain, steps)`; the app and the tests call it alike. Every
domain records what ran in its own `<domain>_schema_migrations` table, so domains never
touch each other's history. All pending steps run in one transaction; on PostgreSQL a
per-domain advisory lock keeps two processes from migrating at once (SQLite's write
lock does the same there).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, Connection, Engine, Integer, MetaData, String, Table, select, text


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step."""

    version: int
    name: str
    apply: Callable[[Connection], None]


def versions_table(domain: str) -> Table:
    """The table that records which of `domain`'s steps ran."""
    return Table(
        f"{domain}_schema_migrations",
        MetaData(),
        Column("version", Integer, primary_key=True, autoincrement=False),
        Column("name", String(100), nullable=False),
        Column("applied_at", String(32), nullable=False),
    )


def _lock_key(domain: str) -> int:
    # A stable signed 63-bit key per domain for pg_advisory_xact_lock.
    return int.from_bytes(hashlib.sha256(f"digisom-migrations-{domain}".encode()).digest()[:8], "big") >> 1


def migrate(engine: Engine, domain: str, steps: Sequence[Migration]) -> list[int]:
    """Apply `domain`'s pending steps in one transaction; return the versions applied now."""
    versions = versions_table(domain)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(domain)})
        versions.metadata.create_all(conn)
        done = set(conn.execute(select(versions.c.version)).scalars())
        applied = []
        for step in steps:
            if step.version in done:
                continue
            step.apply(conn)
            conn.execute(
                versions.insert().values(version=step.version, name=step.name, applied_at=datetime.now(UTC).isoformat())
            )
            applied.append(step.version)
    return applied
