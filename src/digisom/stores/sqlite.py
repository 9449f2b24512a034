"""The SQLite `LedgerStore`: the embedded default, one file, durable commits.

WAL mode with `synchronous=FULL`: a commit that returned survives a power cut. The
writer takes SQLite's write lock with `BEGIN IMMEDIATE`; readers in other connections
keep reading the last committed state meanwhile. A batch is written with one
`executemany` per table, so SQLite's C loop, not Python, walks the rows.
"""
# ruff: noqa: S608 - SQL text is assembled from constant table and column names only.

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from digisom.errors import InvariantViolation, invariant
from digisom.ledger.model import U128_MAX
from digisom.ledger.store import CommittedBatch, JournalHead
from digisom.stores import codec
from digisom.stores.codec import (
    ACCOUNT_BALANCE_COLUMNS,
    ACCOUNT_COLUMNS,
    BALANCE_COLUMNS,
    PENDING_COLUMNS,
    SQLITE_CODEC,
    TRANSFER_COLUMNS,
    build_queries,
    columns,
    id_bytes,
    sqlite_placeholder,
)
from digisom.stores.migrate import migrate_sqlite
from digisom.stores.sql_reads import Lookup, SqlReads

# A writer waits this long for another process's write lock before giving up.
BUSY_TIMEOUT_MS: Final = 10_000
# Page cache per connection (allocated as used): the account rows and the history
# indexes a batch touches stay in memory instead of being re-read every batch.
CACHE_SIZE_KIB: Final = 256 * 1024
# SQLite copies the WAL back into the database file (a checkpoint, with its own fsync)
# inside whichever COMMIT crosses this many pages. The default, 1,000 pages, is less than
# one batch of 8,190 transfers, so every commit paid for a checkpoint; at 65,536 pages
# (256 MiB) one checkpoint serves several batches: median commit 162 -> 119 ms measured.
WAL_AUTOCHECKPOINT_PAGES: Final = 65_536
# Repeated statement texts stay compiled; the padded IN lists add at most 15 per lookup.
STATEMENT_CACHE_SIZE: Final = 256

# What the database raises when a batch breaks one of its constraints (or a value does
# not fit its column). The engine should never produce such a batch, so `commit` reports
# it as the broken invariant it is, with the driver's error as the cause.
_REFUSED: Final = (sqlite3.IntegrityError, OverflowError)
_Q: Final = build_queries(sqlite_placeholder, total_sum="u256_sum")


def u128_add(a: bytes, b: bytes) -> bytes | None:
    """SQL function: the sum of two 16-byte big-endian u128 blobs, or NULL on overflow.

    Registered on every connection (the balance-flag CHECKs call it). NULL makes the
    CHECK's comparison NULL, which `coalesce(..., 0)` turns into a violation.
    """
    total = int.from_bytes(a, "big") + int.from_bytes(b, "big")
    return total.to_bytes(16, "big") if total <= U128_MAX else None


class U256Sum:
    """SQL aggregate `u256_sum`: adds 16-byte u128 blobs into a 32-byte u256 blob (a sum
    over many accounts may pass u128, like the ledger totals). Registered on every connection."""

    def __init__(self) -> None:
        self.total = 0

    def step(self, value: bytes) -> None:
        """Add one balance."""
        self.total += int.from_bytes(value, "big")

    def finalize(self) -> bytes:
        """The sum as 32 big-endian bytes."""
        return codec.u256_bytes(self.total)


def connect(path: str | Path) -> sqlite3.Connection:
    """A connection set up for the ledger: autocommit mode (we issue BEGIN/COMMIT
    ourselves), WAL, full fsync on commit, foreign keys, `u128_add` and `u256_sum` registered."""
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=False, cached_statements=STATEMENT_CACHE_SIZE
    )
    try:
        conn.create_function("u128_add", 2, u128_add, deterministic=True)
        conn.create_aggregate("u256_sum", 1, U256Sum)  # type: ignore[arg-type]  # typeshed says int; BLOBs come as bytes
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        (mode,) = conn.execute("PRAGMA journal_mode = WAL").fetchone()
        if mode != "wal":
            raise sqlite3.OperationalError(f"the ledger needs WAL mode; this database gives {mode!r}")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA cache_size = -{CACHE_SIZE_KIB}")
        conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")
    except BaseException:
        conn.close()
        raise
    return conn


def _insert(table: str, names: Sequence[str]) -> str:
    return f"INSERT INTO {table} ({columns(names)}) VALUES ({', '.join('?' * len(names))})"


_INSERT_ACCOUNT: Final = _insert("accounts", ACCOUNT_COLUMNS)
_INSERT_TRANSFER: Final = _insert("transfers", TRANSFER_COLUMNS)
_INSERT_PENDING: Final = _insert("pendings", PENDING_COLUMNS)
_INSERT_FAILED: Final = _insert("failed_transfers", ("id", "result"))
_INSERT_BALANCE: Final = _insert("balances_history", BALANCE_COLUMNS)
# ?1 is the id, as in ACCOUNT_BALANCE_COLUMNS.
_UPDATE_ACCOUNT: Final = (
    "UPDATE accounts SET "
    + ", ".join(f"{name} = ?{i}" for i, name in enumerate(ACCOUNT_BALANCE_COLUMNS, 1) if name != "id")
    + " WHERE id = ?1"
)
_UPDATE_PENDING_STATE: Final = "UPDATE pendings SET state = ?2 WHERE id = ?1"
# Lookups by id; `_lookup` appends the (?, ?, ...) list.
_LOOKUPS: Final[dict[Lookup, str]] = {
    "accounts": f"SELECT {columns(ACCOUNT_COLUMNS)} FROM accounts WHERE id IN ",
    "transfers": f"SELECT {columns(TRANSFER_COLUMNS)} FROM transfers WHERE id IN ",
    "failed": "SELECT id, result FROM failed_transfers WHERE id IN ",
    "pendings": f"SELECT {columns(PENDING_COLUMNS)} FROM pendings WHERE id IN ",
}


class SqliteStore(SqlReads):
    """A `LedgerStore` in one SQLite file. One instance per thread."""

    _codec = SQLITE_CODEC
    _q = _Q

    def __init__(self, path: str | Path) -> None:
        self._conn = connect(path)
        try:
            migrate_sqlite(self._conn)
            variables_max = self._conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        except BaseException:
            self._conn.close()
            raise
        # The largest power of two the build allows (512 before SQLite 3.32, 16,384 since):
        # lookups pad their IN list to a power of two, so a few statement texts serve
        # every size, and a batch's 8,190 ids take one statement.
        self._in_list_max = 1 << (variables_max.bit_length() - 1)
        self._in_texts: dict[tuple[str, int], str] = {}
        self._in_write = False

    # -- the write transaction ---------------------------------------------------------

    def begin(self) -> JournalHead:
        """BEGIN IMMEDIATE (SQLite's write lock) and read the head inside it."""
        invariant(not self._in_write, "begin() inside a write transaction")
        self._conn.execute("BEGIN IMMEDIATE")
        self._in_write = True
        try:
            return self._head()
        except BaseException:
            self.rollback()
            raise

    def commit(self, batch: CommittedBatch) -> None:
        """Write the batch with one statement (or executemany) per table, then COMMIT."""
        invariant(self._in_write, "commit() without begin()")
        conn, c = self._conn, SQLITE_CODEC
        try:
            move_head, insert_journal = codec.journal_params(batch)
            moved = conn.execute(_Q.move_head, move_head).rowcount
            invariant(moved == 1, f"journal record {batch.journal.seq} does not follow the head")
            conn.execute(_Q.insert_journal, insert_journal)
            if batch.accounts_created:
                conn.executemany(_INSERT_ACCOUNT, codec.account_rows(batch.accounts_created, c))
            if batch.accounts_updated:
                updated = conn.executemany(_UPDATE_ACCOUNT, codec.account_balance_rows(batch.accounts_updated, c))
                invariant(updated.rowcount == len(batch.accounts_updated), "an updated account does not exist")
            if batch.transfers_created:
                conn.executemany(_INSERT_TRANSFER, codec.transfer_rows(batch.transfers_created, c))
            if batch.pendings_created:
                conn.executemany(_INSERT_PENDING, codec.pending_rows(batch.pendings_created, c))
            if batch.pendings_resolved:
                resolved = conn.executemany(_UPDATE_PENDING_STATE, codec.id_value_rows(batch.pendings_resolved))
                invariant(resolved.rowcount == len(batch.pendings_resolved), "a resolved pending does not exist")
            if batch.failed_transfer_ids:
                conn.executemany(_INSERT_FAILED, codec.id_value_rows(batch.failed_transfer_ids))
            if batch.balances_history:
                conn.executemany(_INSERT_BALANCE, codec.balance_rows(batch.balances_history, c))
            if batch.ledger_totals:
                conn.executemany(_Q.upsert_totals, codec.totals_params(batch.ledger_totals, c))
            conn.execute("COMMIT")
        except _REFUSED as error:
            self._abandon()
            raise InvariantViolation(f"the database refused batch {batch.journal.seq}: {error}") from error
        except BaseException:
            self._abandon()
            raise
        self._in_write = False

    def rollback(self) -> None:
        """Abandon the write transaction, if one is open."""
        if self._in_write:
            self._in_write = False
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")

    def _abandon(self) -> None:
        # A broken connection cannot roll back; the error that broke it is the one to see.
        with contextlib.suppress(sqlite3.Error):
            self.rollback()

    # -- reads: SqlReads ----------------------------------------------------------------

    def close(self) -> None:
        """Abandon any open write and close the connection."""
        try:
            self.rollback()
        finally:
            self._conn.close()

    # -- internals ---------------------------------------------------------------------

    def _head(self) -> JournalHead:
        seq, hash_, timestamp = self._conn.execute(_Q.head).fetchone()
        return JournalHead(seq, hash_, timestamp)

    def _fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        return self._conn.execute(sql, params or {}).fetchall()

    def _lookup(self, kind: Lookup, ids: Collection[int]) -> list[Any]:
        """Rows of `select ... IN (ids)`: one statement for up to `_in_list_max` ids."""
        select = _LOOKUPS[kind]
        keys = [id_bytes(i) for i in ids]
        rows: list[Any] = []
        step = self._in_list_max
        for start in range(0, len(keys), step):
            part = keys[start : start + step]
            size = 1 << (len(part) - 1).bit_length()
            # Padding repeats a key, which IN ignores; it keeps the statement texts few.
            part.extend([part[0]] * (size - len(part)))
            rows.extend(self._conn.execute(self._in_text(select, size), part).fetchall())
        return rows

    def _in_text(self, select: str, size: int) -> str:
        text = self._in_texts.get((select, size))
        if text is None:
            text = self._in_texts[select, size] = f"{select}({', '.join('?' * size)})"
        return text
