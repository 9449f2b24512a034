"""The schema migrations of the digital som: one frozen module per version, applied once each, in
order, by the app and the tests alike, through the shared runner `digisom.domain_migrations`
(history in `cbdc_schema_migrations`). A new step is a new module appended here; a
released module never changes (docs/operations.md, "Schema migrations")."""

from __future__ import annotations

from typing import Final

from sqlalchemy import Engine

from digisom import domain_migrations
from digisom.cbdc.migrations import (
    v0001_initial,
    v0002_aliases,
    v0003_benefits,
    v0004_alias_per_bank,
)

MIGRATIONS: Final = (
    v0001_initial.MIGRATION,
    v0002_aliases.MIGRATION,
    v0003_benefits.MIGRATION,
    v0004_alias_per_bank.MIGRATION,
)


def migrate(engine: Engine, up_to: int | None = None) -> list[int]:
    """Apply the pending migrations (up to version `up_to`, if given); return the versions applied now."""
    return domain_migrations.migrate(engine, "cbdc", MIGRATIONS, up_to=up_to)
