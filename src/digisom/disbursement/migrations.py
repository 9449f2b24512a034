"""The disbursement domain's schema migrations, through the shared runner
`digisom.domain_migrations` (history in `disbursement_schema_migrations`)."""

from __future__ import annotations

from typing import Final

from sqlalchemy import Connection, Engine

from digisom import domain_migrations
from digisom.disbursement import tables
from digisom.domain_migrations import Migration


def _initial(conn: Connection) -> None:
    tables.metadata.create_all(conn)


def _tax_payments(conn: Connection) -> None:
    tables.tax_payments.create(conn)


MIGRATIONS: Final = (
    Migration(1, "programmes, runs and payments", _initial),
    Migration(2, "tax and fee payments", _tax_payments),
)


def migrate(engine: Engine) -> list[int]:
    """Apply the pending disbursement migrations; return the versions applied now."""
    return domain_migrations.migrate(engine, "disbursement", MIGRATIONS)
