"""The offline domain's schema migrations.

Numbered steps, applied once each, in order, by the app and the tests alike; the runner
is `digisom.domain_migrations` (history in `offline_schema_migrations`)."""

from __future__ import annotations

from typing import Final

from sqlalchemy import Connection, Engine

from digisom import domain_migrations
from digisom.domain_migrations import Migration
from digisom.offline import tables


def _initial(conn: Connection) -> None:
    tables.metadata.create_all(conn)


def _returns_and_parked_runs(conn: Connection) -> None:
    # A database built by migration 1 after these tables existed has them already.
    for table in (tables.returns, tables.parked_runs):
        table.create(conn, checkfirst=True)


MIGRATIONS: Final = (
    Migration(1, "offline registry, settlement book, revocations", _initial),
    Migration(2, "one return per funding epoch; parked runs", _returns_and_parked_runs),
)


def migrate(engine: Engine) -> list[int]:
    """Apply the pending offline migrations; return the versions applied now."""
    return domain_migrations.migrate(engine, "offline", MIGRATIONS)
