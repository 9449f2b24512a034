"""SQLite specifics: connection settings, the u128_add CHECK function, foreign keys,
migrations, lookups split over several statements, and `open_store` URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from digisom.errors import InvariantViolation
from digisom.ledger.model import U128_MAX, Account
from digisom.ledger.store import LedgerTotals
from digisom.stores.memory import MemoryStore
from digisom.stores.migrate import migrate_sqlite, migrations
from digisom.stores.sqlite import WAL_AUTOCHECKPOINT_PAGES, SqliteStore, connect, u128_add
from digisom.stores.url import StoreUrlError, open_store

from .conftest import CENTRAL_BANK, KGS, MERCHANT, Chain, commit, opening_batch, pay, posted


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


def test_connections_are_durable_wal_with_foreign_keys(path: Path) -> None:
    conn = connect(path)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
        assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone() == (WAL_AUTOCHECKPOINT_PAGES,)
    finally:
        conn.close()


def test_u128_add_is_exact_and_null_on_overflow(path: Path) -> None:
    def blob(value: int) -> bytes:
        return value.to_bytes(16, "big")

    assert u128_add(blob(2**64), blob(2**64 - 1)) == blob(2**65 - 1)
    assert u128_add(blob(U128_MAX), blob(0)) == blob(U128_MAX)
    assert u128_add(blob(U128_MAX), blob(1)) is None
    conn = connect(path)
    try:
        (total,) = conn.execute("SELECT u128_add(?, ?)", (blob(1), blob(U128_MAX - 1))).fetchone()
        assert total == blob(U128_MAX)
    finally:
        conn.close()


def test_migrations_run_once(path: Path) -> None:
    SqliteStore(path).close()
    SqliteStore(path).close()
    conn = connect(path)
    try:
        assert migrate_sqlite(conn) == []
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
        assert versions == [m.version for m in migrations("sqlite")]
    finally:
        conn.close()


def test_version_2_widens_existing_ledger_totals(path: Path) -> None:
    conn = connect(path)
    try:
        assert migrate_sqlite(conn, up_to=1) == [1]
        total = (U128_MAX - 1).to_bytes(16, "big")
        conn.execute("INSERT INTO ledger_totals VALUES (?, ?, ?, ?, ?)", (KGS, total, total, total, total))
    finally:
        conn.close()
    store = SqliteStore(path)
    try:
        assert store.get_ledger_totals() == [LedgerTotals(KGS, U128_MAX - 1, U128_MAX - 1, U128_MAX - 1, U128_MAX - 1)]
    finally:
        store.close()


def test_a_transfer_between_unknown_accounts_breaks_a_foreign_key(path: Path) -> None:
    store, chain = SqliteStore(path), Chain()
    try:
        commit(store, opening_batch(chain, Account(CENTRAL_BANK, KGS, 1)))
        store.begin()
        with pytest.raises(InvariantViolation, match="FOREIGN KEY"):
            store.commit(chain.batch(transfers_created=[pay(1, CENTRAL_BANK, MERCHANT, 5, 5_000)],
                                     ledger_totals=[posted(KGS, 5)]))
        assert store.get_transfers([1]) == {}
    finally:
        store.close()


def test_lookups_larger_than_one_statement_are_split(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store, chain = SqliteStore(path), Chain()
    try:
        commit(store, chain.batch(accounts_created=[Account(i, KGS, 1, timestamp=i) for i in range(1, 11)]))
        monkeypatch.setattr(store, "_in_list_max", 4)
        assert sorted(store.get_accounts(range(0, 13))) == list(range(1, 11))
    finally:
        store.close()


def test_open_store_knows_three_kinds_of_url(path: Path) -> None:
    assert isinstance(open_store("memory:"), MemoryStore)
    store = open_store(f"sqlite:///{path}")
    try:
        assert isinstance(store, SqliteStore)
    finally:
        store.close()
    for bad in ("sqlite:///", "sqlite:relative.db", "mysql://ledger", "ledger.db"):
        with pytest.raises(StoreUrlError):
            open_store(bad)
