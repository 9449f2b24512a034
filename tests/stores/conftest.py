"""Fixtures for the store tests: an opened store of each SQL kind, and hand-built batches.

The tests build `CommittedBatch` objects directly (no engine), so they pin down what a
store does with exactly the rows it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from digisom.ledger import journal
from digisom.ledger.journal import chain_hash
from digisom.ledger.model import Account, Transfer
from digisom.ledger.store import GENESIS_HASH, CommittedBatch, JournalRecord, LedgerStore, LedgerTotals
from digisom.stores import postgres
from digisom.stores.url import open_store

# PostgreSQL writes a small batch as unnested arrays in one pipelined round trip and a
# large one with COPY: "postgres_copy" runs the same tests with every batch through COPY.
SQL_STORE_KINDS = [
    "sqlite",
    pytest.param("postgres", marks=pytest.mark.postgres),
    pytest.param("postgres_copy", marks=pytest.mark.postgres),
]
KGS = 417

# Role names for account ids.
CENTRAL_BANK, COMMERCIAL_BANK, TREASURY, MERCHANT, PENSIONER = 1, 2, 3, 4, 5


@pytest.fixture(params=SQL_STORE_KINDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a fresh, empty store of each SQL kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    if request.param == "postgres_copy":
        request.getfixturevalue("monkeypatch").setattr(postgres, "PIPELINE_ROWS_MAX", -1)
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def reopen(store_url: str) -> Iterator[Callable[[], LedgerStore]]:
    """Opens the same store again (a new connection); everything opened is closed after."""
    opened: list[LedgerStore] = []

    def _open() -> LedgerStore:
        opened.append(open_store(store_url))
        return opened[-1]

    yield _open
    for store in opened:
        store.close()


@pytest.fixture
def store(reopen: Callable[[], LedgerStore]) -> LedgerStore:
    """An opened, empty store of each SQL kind."""
    return reopen()


class Chain:
    """Builds consecutive batches whose journal records chain onto each other."""

    def __init__(self) -> None:
        self.seq = 0
        self.hash = GENESIS_HASH
        self.timestamp = 0

    def batch(self, **rows: Any) -> CommittedBatch:
        """The next batch holding `rows` (CommittedBatch field name -> list)."""
        # The payload holds what the batch creates, as the ledger writes it: PostgreSQL's
        # transfer table is projected from it.
        self.timestamp += 1_000
        accounts, transfers = rows.get("accounts_created", []), rows.get("transfers_created", [])
        try:
            payload = journal.encode(self.seq + 1, self.timestamp, accounts, [], transfers)
        except OverflowError:  # a batch built to be refused by the database: a record without its transfers
            payload = journal.encode(self.seq + 1, self.timestamp, accounts, [], [])
        record = JournalRecord(self.seq + 1, self.hash, chain_hash(self.hash, payload), payload)
        self.seq, self.hash = record.seq, record.hash
        return CommittedBatch(journal=record, timestamp_max=self.timestamp, **rows)


@pytest.fixture
def chain() -> Chain:
    return Chain()


def commit(store: LedgerStore, batch: CommittedBatch) -> None:
    """One write transaction holding `batch`."""
    store.begin()
    store.commit(batch)


def opening_batch(chain: Chain, *accounts: Account) -> CommittedBatch:
    """A batch creating `accounts` (timestamps 1, 2, ... unless set)."""
    stamped = [a if a.timestamp else a._replace(timestamp=i) for i, a in enumerate(accounts, 1)]
    return chain.batch(accounts_created=stamped)


def posted(ledger: int, amount: int) -> LedgerTotals:
    """Totals of a ledger that has posted `amount` in all, nothing pending."""
    return LedgerTotals(ledger, 0, amount, 0, amount)


def pay(tid: int, debit: int, credit: int, amount: int, timestamp: int, **fields: int) -> Transfer:
    """A posted KGS transfer as the engine would store it."""
    return Transfer(tid, debit, credit, amount, fields.pop("ledger", KGS), fields.pop("code", 1),
                    timestamp=timestamp, **fields)
