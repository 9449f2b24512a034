"""The schema migrations of merchant invoices: one frozen module per version, applied in
order through `digisom.domain_migrations` (history in `merchants_schema_migrations`)."""

from __future__ import annotations

from typing import Final

from sqlalchemy import Engine

from digisom import domain_migrations
from digisom.merchants.migrations import v0001_initial, v0002_worker_indexes

MIGRATIONS: Final = (v0001_initial.MIGRATION, v0002_worker_indexes.MIGRATION)


def migrate(engine: Engine, up_to: int | None = None) -> list[int]:
    """Apply the pending migrations (up to version `up_to`, if given); return the versions applied now."""
    return domain_migrations.migrate(engine, "merchants", MIGRATIONS, up_to=up_to)
