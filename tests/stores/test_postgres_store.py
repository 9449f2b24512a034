"""PostgreSQL specifics: the throwaway server, durable settings, migrations, and the
writer lock that serialises writers across connections."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import psycopg
import pytest

from digisom.devtools import postgres_server
from digisom.devtools.postgres_server import LEDGER_SERVER_SETTINGS, PostgresUnavailable, TemporaryPostgres
from digisom.ledger.model import U128_MAX, Account
from digisom.ledger.store import JournalHead, LedgerTotals
from digisom.stores.migrate import migrate_postgres, migrations
from digisom.stores.postgres import PostgresStore

from .conftest import CENTRAL_BANK, KGS, MERCHANT, Chain, commit, opening_batch

pytestmark = pytest.mark.postgres


DURABILITY_SETTINGS = ("fsync", "synchronous_commit", "full_page_writes")


def test_a_server_keeps_the_durable_defaults_unless_told(postgres_server: TemporaryPostgres, postgres_url: str) -> None:
    # The benches' servers (TemporaryPostgres()) flush like production and run the
    # settings docs/operations.md recommends; only the test session's own server is told
    # not to flush (tests/conftest.py).
    with TemporaryPostgres(postgres_server.bin_dir) as server, psycopg.connect(server.url) as conn:
        for setting in DURABILITY_SETTINGS:
            assert conn.execute(f"SHOW {setting}").fetchone() == ("on",)
        for setting, value in LEDGER_SERVER_SETTINGS.items():
            assert conn.execute(f"SHOW {setting}").fetchone() == (value,)
    with psycopg.connect(postgres_url) as conn:
        for setting in DURABILITY_SETTINGS:
            assert conn.execute(f"SHOW {setting}").fetchone() == ("off",)


def test_migrations_run_once(postgres_url: str) -> None:
    PostgresStore(postgres_url).close()
    PostgresStore(postgres_url).close()
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        assert migrate_postgres(conn) == []
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == [m.version for m in migrations("postgres")]


def test_version_2_widens_existing_ledger_totals(postgres_url: str) -> None:
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        assert migrate_postgres(conn, up_to=1) == [1]
        conn.execute("INSERT INTO ledger_totals VALUES (%s, %s, %s, %s, %s)", (KGS, *[U128_MAX] * 4))
    store = PostgresStore(postgres_url)
    try:
        assert store.get_ledger_totals() == [LedgerTotals(KGS, U128_MAX, U128_MAX, U128_MAX, U128_MAX)]
    finally:
        store.close()


def test_begin_waits_for_the_other_writer(postgres_url: str) -> None:
    first, second, chain = PostgresStore(postgres_url), PostgresStore(postgres_url), Chain()
    heads: list[JournalHead] = []
    try:
        commit(first, opening_batch(chain, Account(CENTRAL_BANK, KGS, 1)))
        first.begin()
        waiter = threading.Thread(target=lambda: heads.append(second.begin()))
        waiter.start()
        waiter.join(0.5)
        assert waiter.is_alive(), "the second writer must wait for the first"
        first.commit(chain.batch(accounts_created=[Account(MERCHANT, KGS, 1, timestamp=2)]))
        waiter.join(10)
        # The second writer starts from the head the first one left.
        assert heads == [JournalHead(2, chain.hash, chain.timestamp)]
        second.rollback()
    finally:
        first.close()
        second.close()


def test_the_server_directory_is_removed_even_after_an_error(postgres_server: TemporaryPostgres) -> None:
    seen: list[Path | None] = []

    def use_then_fail() -> None:
        with TemporaryPostgres(postgres_server.bin_dir) as server:
            seen.append(server.directory)
            with psycopg.connect(server.url) as conn:
                assert conn.execute("SELECT 1").fetchone() == (1,)
            raise RuntimeError("inside")

    with pytest.raises(RuntimeError, match="inside"):
        use_then_fail()
    (directory,) = seen
    assert directory is not None
    assert not directory.exists()


def test_missing_binaries_are_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    monkeypatch.setattr(postgres_server, "DEBIAN_BIN_GLOB", str(tmp_path / "*" / "bin"))
    with pytest.raises(PostgresUnavailable, match="initdb"):
        TemporaryPostgres()
