"""The schema migrations of the HTTP layer's own tables (`digisom.http.tables`): one frozen
module per version, through the shared runner `digisom.domain_migrations` (history in
`http_schema_migrations`); a released module never changes (docs/operations.md)."""

from __future__ import annotations

from typing import Final

from sqlalchemy import Engine

from digisom import domain_migrations
from digisom.http.migrations import v0001_initial, v0002_token_revocations

MIGRATIONS: Final = (v0001_initial.MIGRATION, v0002_token_revocations.MIGRATION)


def migrate(engine: Engine, up_to: int | None = None) -> list[int]:
    """Apply the pending migrations (up to version `up_to`, if given); return the versions applied now."""
    return domain_migrations.migrate(engine, "http", MIGRATIONS, up_to=up_to)
