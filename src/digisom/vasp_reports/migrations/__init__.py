"""The schema migrations of the volume reports: one frozen module per version, applied
once each, in order, through the shared runner `digisom.domain_migrations` (history in
`vasp_reports_schema_migrations`). A new step is a new module appended here; a released
module never changes (docs/operations.md, "Schema migrations")."""

from __future__ import annotations

from typing import Final

from sqlalchemy import Engine

from digisom import domain_migrations
from digisom.vasp_reports.migrations import v0001_initial

MIGRATIONS: Final = (v0001_initial.MIGRATION,)


def migrate(engine: Engine, up_to: int | None = None) -> list[int]:
    """Apply the pending migrations (up to version `up_to`, if given); return the versions applied now."""
    return domain_migrations.migrate(engine, "vasp_reports", MIGRATIONS, up_to=up_to)
