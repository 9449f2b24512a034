"""The bridge's schema migrations.

Numbered steps, applied once each, in order, by the app and the tests alike; the runner
is `digisom.domain_migrations` (history in `stablecoin_schema_migrations`)."""

from __future__ import annotations

from typing import Final

from sqlalchemy import Connection, Engine

from digisom import domain_migrations
from digisom.domain_migrations import Migration
from digisom.stablecoin import tables


def _initial(conn: Connection) -> None:
    tables.metadata.create_all(conn)


MIGRATIONS: Final = (Migration(1, "operations, attempts, address links, cursor, reserve reports", _initial),)


def migrate(engine: Engine) -> list[int]:
    """Apply the pending bridge migrations; return the versions applied now."""
    return domain_migrations.migrate(engine, "stablecoin", MIGRATIONS)
