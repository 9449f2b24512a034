"""The bridge's schema migrations: numbered steps, applied once each, in order, by the
app and the tests alike. `stablecoin_schema_migrations` records what ran; on PostgreSQL
an advisory lock keeps two processes from migrating at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import Column, Connection, Engine, Integer, MetaData, String, Table, select, text

from digisom.stablecoin import tables

_versions_metadata: Final = MetaData()
schema_migrations: Final = Table(
    "stablecoin_schema_migrations",
    _versions_metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False),
    Column("applied_at", String(32), nullable=False),
)
_POSTGRES_LOCK_KEY: Final = int.from_bytes(b"dsomkgst", "big") >> 1  # fits a signed bigint


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step."""

    version: int
    name: str
    apply: Callable[[Connection], None]


def _initial(conn: Connection) -> None:
    tables.metadata.create_all(conn)


MIGRATIONS: Final = (Migration(1, "operations, attempts, address links, cursor, reserve reports", _initial),)


def migrate(engine: Engine) -> list[int]:
    """Apply the pending migrations in one transaction; return the versions applied now."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _POSTGRES_LOCK_KEY})
        _versions_metadata.create_all(conn)
        done = set(conn.execute(select(schema_migrations.c.version)).scalars())
        applied = []
        for migration in MIGRATIONS:
            if migration.version in done:
                continue
            migration.apply(conn)
            conn.execute(schema_migrations.insert().values(
                version=migration.version, name=migration.name, applied_at=datetime.now(UTC).isoformat()))
            applied.append(migration.version)
    return applied
