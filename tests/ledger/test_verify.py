"""The verifier passes on an honest ledger and names the first discrepancy after tampering.

Tampering goes around the ledger, straight to the database, the way an insider would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from digisom.cli.main import app
from digisom.ledger.audit import verify
from digisom.ledger.model import Account, AccountFlags, Transfer, TransferFlags
from digisom.ledger.service import Ledger
from digisom.stores.sqlite import connect as connect_sqlite
from digisom.stores.url import open_store

KGS = 417
CENTRAL_BANK, COMMERCIAL_BANK, PENSIONER, MERCHANT = 1, 2, 3, 4
# Runs one SQL statement with `?` placeholders against the ledger database.
Execute = Callable[[str, tuple[object, ...]], None]


def build_history(url: str) -> None:
    """A small honest history: accounts, payments, a posted and a voided hold."""
    store = open_store(url)
    ledger = Ledger(store)
    limited = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
    ledger.create_accounts([Account(CENTRAL_BANK, KGS, 1), Account(COMMERCIAL_BANK, KGS, 2, limited),
                            Account(PENSIONER, KGS, 3, limited), Account(MERCHANT, KGS, 3, limited)])
    ledger.create_transfers([Transfer(10, CENTRAL_BANK, COMMERCIAL_BANK, 1_000_00, KGS, 1),
                             Transfer(11, COMMERCIAL_BANK, PENSIONER, 300_00, KGS, 1)])
    ledger.create_transfers([Transfer(12, PENSIONER, MERCHANT, 50_00, KGS, 1, TransferFlags.PENDING),
                             Transfer(13, PENSIONER, MERCHANT, 20_00, KGS, 1, TransferFlags.PENDING)])
    ledger.create_transfers([Transfer(14, 0, 0, 40_00, 0, 0, TransferFlags.POST_PENDING_TRANSFER, pending_id=12),
                             Transfer(15, 0, 0, 0, 0, 0, TransferFlags.VOID_PENDING_TRANSFER, pending_id=13)])
    store.close()


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Execute]]:
    """An honest ledger database and a way to run raw SQL against it."""
    if request.param == "sqlite":
        path = tmp_path / "ledger.db"
        url = f"sqlite:///{path}"
        build_history(url)

        def execute_sqlite(sql: str, params: tuple[object, ...]) -> None:
            conn = connect_sqlite(path)  # registers u128_add, which the accounts CHECKs call
            try:
                conn.execute(sql, params)
            finally:
                conn.close()

        yield url, execute_sqlite
    else:
        url = request.getfixturevalue("postgres_url")
        build_history(url)

        def execute_postgres(sql: str, params: tuple[object, ...]) -> None:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(sql.replace("?", "%s"), params)

        yield url, execute_postgres


def discrepancy(url: str) -> str | None:
    store = open_store(url)
    try:
        return verify(store).discrepancy
    finally:
        store.close()


def test_honest_ledger_verifies(database: tuple[str, Execute]) -> None:
    url, _ = database
    assert discrepancy(url) is None
    result = CliRunner().invoke(app, ["ledger", "verify", "--db", url])
    assert result.exit_code == 0, result.output


def test_one_flipped_journal_byte_is_found(database: tuple[str, Execute]) -> None:
    url, execute = database
    store = open_store(url)
    (record,) = store.scan_journal(2, 1)
    store.close()
    # Flip the lowest bit of one byte of record 3's payload: a transfer amount.
    payload = bytearray(record.payload)
    payload[-40] ^= 1
    execute("UPDATE journal SET payload = ? WHERE seq = 3", (bytes(payload),))
    found = discrepancy(url)
    assert found is not None
    assert "journal record 3" in found
    assert "hash does not match" in found
    result = CliRunner().invoke(app, ["ledger", "verify", "--db", url])
    assert result.exit_code == 1
    assert "journal record 3" in result.output


def test_one_edited_balance_is_found(database: tuple[str, Execute]) -> None:
    url, execute = database
    # The central bank's account has no balance flags, so no CHECK stops the edit.
    account_id = CENTRAL_BANK.to_bytes(16, "big")
    new_balance: object = 1_000_01 if url.startswith("postgresql") else (1_000_01).to_bytes(16, "big")
    execute("UPDATE accounts SET debits_posted = ? WHERE id = ?", (new_balance, account_id))
    found = discrepancy(url)
    assert found is not None
    assert f"account {CENTRAL_BANK}" in found
    assert "stored balances" in found


def test_a_deleted_journal_record_is_found(database: tuple[str, Execute]) -> None:
    url, execute = database
    execute("DELETE FROM journal WHERE seq = ?", (2,))
    found = discrepancy(url)
    assert found is not None
    assert "journal record 3: expected seq 2" in found
