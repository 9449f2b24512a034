"""The first register's reads, kept for old readers (`/v1/registry/assets`): one row per
registered asset and chain in `registry_assets`, which is now written only by the signed
register (`registry.assets`) when an entry becomes registered. `metadata` describes every
table of the register (tests/test_migration_history.py reads it here)."""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import Engine, Row, select

from digisom.kernel.errors import Conflict
from digisom.registry import migrations
from digisom.registry.model import AssetEntry
from digisom.registry.tables import assets, metadata

__all__ = ["ENTRIES_PAGE_MAX", "RegisterConflict", "assets", "ensure_schema", "entries", "get", "metadata"]

ENTRIES_PAGE_MAX: Final = 1000


class RegisterConflict(Conflict):
    """The entry exists with other contents."""


def ensure_schema(engine: Engine) -> None:
    """Apply the register's pending migrations."""
    migrations.migrate(engine)


def _entry(row: Row[Any]) -> AssetEntry:
    return AssetEntry(row.symbol, row.asset, row.issuer, row.peg, row.standard, int(row.chain_id),
                      row.contract_address, int(row.decimals), row.reserve_report_url, row.registered_at)


def get(engine: Engine, entry_id: str) -> AssetEntry | None:
    """The entry with `entry_id`, or None."""
    with engine.connect() as conn:
        row = conn.execute(select(assets).where(assets.c.entry_id == entry_id)).first()
    return _entry(row) if row else None


def entries(engine: Engine, limit: int = ENTRIES_PAGE_MAX) -> list[AssetEntry]:
    """Every entry, by symbol then chain."""
    with engine.connect() as conn:
        rows = conn.execute(select(assets).order_by(assets.c.symbol, assets.c.chain_id).limit(limit)).all()
    return [_entry(row) for row in rows]
