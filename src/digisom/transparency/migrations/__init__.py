"""The schema migrations of the transparency log: one frozen module per version, applied
in order through `digisom.domain_migrations` (history in `transparency_schema_migrations`)."""

from __future__ import annotations

from typing import Final

from sqlalchemy import Engine

from digisom import domain_migrations
from digisom.transparency.migrations import v0001_initial

MIGRATIONS: Final = (v0001_initial.MIGRATION,)


def migrate(engine: Engine, up_to: int | None = None) -> list[int]:
    """Apply the pending migrations (up to version `up_to`, if given); return the versions applied now."""
    return domain_migrations.migrate(engine, "transparency", MIGRATIONS, up_to=up_to)
