"""The digital som's schema migrations.

Numbered steps, applied once each, in order, by the app and the tests alike; SQLAlchemy
Core, so one code path serves SQLite and PostgreSQL. The runner is
`digisom.domain_migrations` (history in `cbdc_schema_migrations`)."""

from __future__ import annotations

from typing import Final

from sqlalchemy import (
    CheckConstraint,
    Column,
    Connection,
    Engine,
    ForeignKeyConstraint,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    select,
    text,
)

from digisom import domain_migrations
from digisom.cbdc import tables
from digisom.domain_migrations import Migration


def _initial(conn: Connection) -> None:
    tables.metadata.create_all(conn, tables=tables.INITIAL_TABLES)


def _aliases_v2() -> Table:
    """`cbdc_aliases` as migration 2 created it (one row per number, UNIQUE): frozen
    here, since `tables.aliases` is the current shape (migration 4)."""
    c = tables
    frozen = MetaData()
    c.wallets.to_metadata(frozen)  # what its foreign key names (never created from here)
    return Table(
        "cbdc_aliases",
        frozen,
        Column("seq", Integer, primary_key=True, autoincrement=True),
        Column("personal_number", String(c.PERSONAL_NUMBER_DIGITS), nullable=False, unique=True),
        Column("bank_code", String(16), nullable=False, index=True),
        Column("wallet_id", String(c.ID_CHARS_MAX), index=True),
        Column("bank_account", String(c.BANK_ACCOUNT_CHARS_MAX)),
        Column("created_at", String(c.ISO_TIME_CHARS), nullable=False),
        Column("updated_at", String(c.ISO_TIME_CHARS), nullable=False),
        ForeignKeyConstraint(["wallet_id", "bank_code"], ["cbdc_wallets.id", "cbdc_wallets.bank_code"],
                             name="cbdc_aliases_wallet_of_bank"),
        CheckConstraint(f"length(personal_number) = {c.PERSONAL_NUMBER_DIGITS}", name="cbdc_aliases_personal_number"),
        CheckConstraint("(wallet_id IS NULL) <> (bank_account IS NULL)", name="cbdc_aliases_one_destination"),
    )


def _aliases(conn: Connection) -> None:
    conn.execute(text(tables.WALLETS_BANK_KEY_DDL))
    _aliases_v2().create(conn)


def _alias_per_bank(conn: Connection) -> None:
    # A new table, not an ALTER: SQLite cannot drop a UNIQUE constraint in place. Rows
    # move over in their order (earliest first), so resolution keeps its answers.
    old, new = _aliases_v2(), tables.aliases
    new.create(conn)
    names = ["personal_number", "bank_code", "wallet_id", "bank_account", "created_at", "updated_at"]
    rows = select(*(old.c[n] for n in names)).order_by(old.c.seq)
    conn.execute(insert(new).from_select(names, rows))
    old.drop(conn)


def _benefits(conn: Connection) -> None:
    tables.metadata.create_all(conn, tables=tables.BENEFIT_TABLES)


MIGRATIONS: Final = (
    Migration(1, "initial digital som tables", _initial),
    Migration(2, "the banks' alias directory", _aliases),
    Migration(3, "purpose-bound benefits", _benefits),
    Migration(4, "aliases registered per bank (no bank learns another's)", _alias_per_bank),
)


def migrate(engine: Engine) -> list[int]:
    """Apply the pending digital som migrations; return the versions applied now."""
    return domain_migrations.migrate(engine, "cbdc", MIGRATIONS)
