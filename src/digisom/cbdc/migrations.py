"""The digital som's schema migrations.

Numbered steps, applied once each, in order, by the app and the tests alike; SQLAlchemy
Core, so one code path serves SQLite and PostgreSQL. The runner is
`digisom.domain_migrations` (history in `cbdc_schema_migrations`)."""

from __future__ import annotations

from typing import Final

from sqlalchemy import Connection, Engine, text

from digisom import domain_migrations
from digisom.cbdc import tables
from digisom.domain_migrations import Migration


def _initial(conn: Connection) -> None:
    tables.metadata.create_all(conn, tables=tables.INITIAL_TABLES)


def _aliases(conn: Connection) -> None:
    conn.execute(text(tables.WALLETS_BANK_KEY_DDL))
    tables.aliases.create(conn)


def _benefits(conn: Connection) -> None:
    tables.metadata.create_all(conn, tables=tables.BENEFIT_TABLES)


MIGRATIONS: Final = (
    Migration(1, "initial digital som tables", _initial),
    Migration(2, "the banks' alias directory", _aliases),
    Migration(3, "purpose-bound benefits", _benefits),
)


def migrate(engine: Engine) -> list[int]:
    """Apply the pending digital som migrations; return the versions applied now."""
    return domain_migrations.migrate(engine, "cbdc", MIGRATIONS)
