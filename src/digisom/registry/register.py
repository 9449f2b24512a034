"""The register's table and its reads and writes.

One table, created by the register's migrations (`ensure_schema`); an entry, once registered, is never
edited by a second `register` call with other contents (`RegisterConflict`), so the
published record of a contract cannot be rewritten silently.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import BigInteger, Column, Engine, Integer, MetaData, Row, String, Table, select
from sqlalchemy.exc import IntegrityError

from digisom.kernel.errors import Conflict
from digisom.registry import migrations
from digisom.registry.model import AssetEntry

metadata: Final = MetaData()
ENTRIES_PAGE_MAX: Final = 1000

assets: Final = Table(
    "registry_assets",
    metadata,
    Column("entry_id", String(200), primary_key=True),
    Column("symbol", String(16), nullable=False),
    Column("asset", String(200), nullable=False),
    Column("issuer", String(200), nullable=False),
    Column("peg", String(100), nullable=False),
    Column("standard", String(32), nullable=False),
    Column("chain_id", BigInteger, nullable=False),
    Column("contract_address", String(42), nullable=False),
    Column("decimals", Integer, nullable=False),
    Column("reserve_report_url", String(400), nullable=False),
    Column("registered_at", String(32), nullable=False),
)


class RegisterConflict(Conflict):
    """The entry exists with other contents."""


def ensure_schema(engine: Engine) -> None:
    """Apply the register's pending migrations (its table, the first time)."""
    migrations.migrate(engine)


def _entry(row: Row[Any]) -> AssetEntry:
    return AssetEntry(row.symbol, row.asset, row.issuer, row.peg, row.standard, int(row.chain_id),
                      row.contract_address, int(row.decimals), row.reserve_report_url, row.registered_at)


def register(engine: Engine, entry: AssetEntry) -> AssetEntry:
    """Add `entry`; the same entry again returns the stored one."""
    values = {"entry_id": entry.entry_id, **{k: v for k, v in entry.public().items() if k != "entry_id"}}
    try:
        with engine.begin() as conn:
            conn.execute(assets.insert().values(**values))
    except IntegrityError:
        stored = get(engine, entry.entry_id)
        if stored is None or (stored.issuer, stored.decimals, stored.reserve_report_url) != (
            entry.issuer, entry.decimals, entry.reserve_report_url
        ):
            raise RegisterConflict(f"{entry.entry_id} is registered with other contents") from None
        return stored
    return entry


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


def kgst_entry(chain_id: int, contract_address: str, decimals: int, reserve_report_url: str,
               registered_at: str) -> AssetEntry:
    """KGST's entry: the som stablecoin, BEP-20, 1:1 with the som, backed by digital som."""
    return AssetEntry("KGST", "KGST Kyrgyz Som stablecoin", "KGST issuer (licensed virtual asset issuer)",
                      "1 KGST = 1 KGS, reserve held in digital som", "BEP-20", chain_id, contract_address, decimals,
                      reserve_report_url, registered_at)
