"""The schema migrations of the travel-rule exchange: one frozen module per version,
applied once each, in order, through the shared runner `digisom.domain_migrations`
(history in `travelrule_schema_migrations`). A released module never changes."""

from __future__ import annotations

from typing import Final

from sqlalchemy import Engine

from digisom import domain_migrations
from digisom.travelrule.migrations import v0001_initial, v0002_callbacks

MIGRATIONS: Final = (v0001_initial.MIGRATION, v0002_callbacks.MIGRATION)


def migrate(engine: Engine, up_to: int | None = None) -> list[int]:
    """Apply the pending migrations (up to version `up_to`, if given); return the versions applied now."""
    return domain_migrations.migrate(engine, "travelrule", MIGRATIONS, up_to=up_to)
