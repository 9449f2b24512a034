"""Versioned schema migrations for the domains' own tables (SQLAlchemy Core).

Each domain keeps its steps in a `migrations` package, one module per version
(`v0001_initial.py`, `v0002_aliases.py`, ...), and calls `migrate(engine, domain, steps)`;
the app and the tests call it alike. A released step never changes: its DDL is written
out in its own module (`ddl_step`), never derived from the domain's `tables.py`, which
describes only the result of all steps (a test compares the two). Every domain records
what ran in its own `<domain>_schema_migrations` table, so domains never touch each
other's history. All pending steps run in one transaction; on PostgreSQL a per-domain
advisory lock keeps two processes from migrating at once (SQLite's write lock does the
same there). docs/operations.md, "Schema migrations", says how to add a step.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Column, Connection, Engine, Integer, MetaData, String, Table, select, text

from digisom.errors import DigisomError


class MigrationError(DigisomError):
    """A domain's steps cannot run: not numbered 1, 2, 3... in order, or none written
    for the database's dialect."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step."""

    version: int
    name: str
    apply: Callable[[Connection], None]


def ddl_step(*, sqlite: Sequence[str], postgresql: Sequence[str]) -> Callable[[Connection], None]:
    """A step that runs frozen DDL statements, those written for the connection's dialect."""

    def apply(conn: Connection) -> None:
        run_ddl(conn, sqlite=sqlite, postgresql=postgresql)

    return apply


def run_ddl(conn: Connection, *, sqlite: Sequence[str], postgresql: Sequence[str]) -> None:
    """Run the statements written for `conn`'s dialect, in order."""
    by_dialect = {"sqlite": sqlite, "postgresql": postgresql}
    if conn.dialect.name not in by_dialect:
        raise MigrationError(f"no migration DDL for the {conn.dialect.name} dialect")
    for statement in by_dialect[conn.dialect.name]:
        conn.execute(text(statement))


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


def check_numbering(domain: str, steps: Sequence[Migration]) -> None:
    """Refuse steps not numbered 1, 2, 3... in order: a gap or a duplicate means a lost or
    a clashing file, and order is what makes a database at version N mean one schema."""
    versions = [step.version for step in steps]
    if versions != list(range(1, len(steps) + 1)):
        raise MigrationError(f"{domain} migrations must be numbered 1, 2, 3... in order: {versions}")


def migrate(engine: Engine, domain: str, steps: Sequence[Migration], up_to: int | None = None) -> list[int]:
    """Apply `domain`'s pending steps (only those up to version `up_to`, if given, as an
    upgrade test needs) in one transaction; return the versions applied now."""
    check_numbering(domain, steps)
    versions = versions_table(domain)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _lock_key(domain)})
        versions.metadata.create_all(conn)
        done = set(conn.execute(select(versions.c.version)).scalars())
        applied = []
        for step in steps:
            if step.version in done or (up_to is not None and step.version > up_to):
                continue
            step.apply(conn)
            conn.execute(
                versions.insert().values(version=step.version, name=step.name, applied_at=datetime.now(UTC).isoformat())
            )
            applied.append(step.version)
    return applied
