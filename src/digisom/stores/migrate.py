"""The migration runner: numbered .sql files, applied once each, in order.

Files live in `digisom.stores.migrations.<dialect>` as `NNNN_name.sql` and ship in the
wheel. A `schema_migrations(version)` table records what ran. Each file runs in one
transaction together with its `schema_migrations` row, under a lock, so two processes
opening a fresh database at once apply it exactly once. The application and the tests
use the same path: `open_store` migrates on first use.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from importlib import resources
from typing import Final

import psycopg

from digisom.errors import DigisomError

_FILE_NAME: Final = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")
# Any constant works; it only has to be the same in every process migrating this database.
_POSTGRES_LOCK_KEY: Final = int.from_bytes(b"digisom", "big")


class MigrationError(DigisomError):
    """The migration files are inconsistent (a duplicate or a gap in the numbering)."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    sql: str


def migrations(dialect: str) -> list[Migration]:
    """The migrations of `dialect` ("sqlite" or "postgres"), by version; numbered 1, 2, 3..."""
    found = []
    for entry in resources.files(f"digisom.stores.migrations.{dialect}").iterdir():
        match = _FILE_NAME.fullmatch(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    if [m.version for m in found] != list(range(1, len(found) + 1)):
        raise MigrationError(f"{dialect} migrations must be numbered 1, 2, 3...: {[m.name for m in found]}")
    return found


def _statements(script: str) -> list[str]:
    """Split an SQLite script into statements (`complete_statement` knows triggers and strings)."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip() and not buffer.strip().startswith("--"):
        raise MigrationError(f"incomplete SQL statement at the end of a migration: {buffer.strip()[:80]!r}")
    return statements


def migrate_sqlite(conn: sqlite3.Connection, up_to: int | None = None) -> list[int]:
    """Apply the pending SQLite migrations (up to version `up_to`, if given, as an
    upgrade test needs); return the versions applied now.

    `conn` must be in autocommit mode (isolation_level=None). `executescript` is not
    used because it commits first, which would split a migration from its lock.
    """
    todo = [m for m in migrations("sqlite") if up_to is None or m.version <= up_to]
    conn.execute("BEGIN IMMEDIATE")  # the write lock: one migrating process at a time
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER NOT NULL PRIMARY KEY) STRICT")
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        applied = []
        for migration in todo:
            if migration.version in done:
                continue
            for statement in _statements(migration.sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations (version) VALUES (?)", (migration.version,))
            applied.append(migration.version)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return applied


def migrate_postgres(conn: psycopg.Connection[tuple[object, ...]], up_to: int | None = None) -> list[int]:
    """Apply the pending PostgreSQL migrations (up to version `up_to`, if given, as an
    upgrade test needs); return the versions applied now.

    `conn` must be in autocommit mode; all pending files run in one transaction
    (PostgreSQL's DDL is transactional) under an advisory lock.
    """
    todo = [m for m in migrations("postgres") if up_to is None or m.version <= up_to]
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_POSTGRES_LOCK_KEY,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version integer NOT NULL PRIMARY KEY)")
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        applied = []
        for migration in todo:
            if migration.version in done:
                continue
            # Without parameters psycopg sends the file as one simple query: many statements.
            conn.execute(migration.sql.encode())
            conn.execute("INSERT INTO schema_migrations (version) VALUES (%s)", (migration.version,))
            applied.append(migration.version)
    return applied
