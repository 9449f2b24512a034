"""The schema migrations of the remittance domain: one frozen module per version, applied
once each, in order, through the shared runner `digisom.domain_migrations` (history in
`remittance_schema_migrations`). A new step is a new module appended here; a released
module never changes (docs/operations.md, "Schema migrations")."""

from __future__ import annotations

from typing import Final

from sqlalchemy import Engine

from digisom import domain_migrations
from digisom.remittance.migrations import v0001_initial, v0002_chain_inbound, v0003_chain_inbound_order

MIGRATIONS: Final = (v0001_initial.MIGRATION, v0002_chain_inbound.MIGRATION, v0003_chain_inbound_order.MIGRATION)


def migrate(engine: Engine, up_to: int | None = None) -> list[int]:
    """Apply the pending migrations (up to version `up_to`, if given); return the versions applied now."""
    return domain_migrations.migrate(engine, "remittance", MIGRATIONS, up_to=up_to)
