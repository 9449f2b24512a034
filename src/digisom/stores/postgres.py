"""The PostgreSQL `LedgerStore`: what a central bank runs.

The connection is in autocommit mode; `begin()` opens the one write transaction
explicitly and locks the `journal_head` row, which serialises writers across processes.
Reads outside it are single-statement transactions, so a reader never holds a snapshot
open. A batch is written with binary COPY per table (balance updates: COPY into a temp
table, then one UPDATE ... FROM): a handful of round trips per batch, none per row.
Commits use PostgreSQL's default `synchronous_commit = on`: a commit that returned is
on disk. The transfer rows are not part of the commit: the journal record holds them,
and a projector thread writes them behind it (`stores.projection`).

High availability: the URL may name several hosts
(`postgresql://h1:p1,h2:p2,h3:p3/db?target_session_attrs=read-write`); libpq connects to
the one that is the primary. When the primary is lost (`stores.failover`), the store
reconnects, waiting up to `RECONNECT_TIMEOUT_S` for a new primary, and retries only what
wrote nothing: `begin()` and the reads outside a write transaction. A write transaction
that loses its connection before COMMIT is gone (`StoreUnavailable`). A COMMIT whose
answer is lost is in doubt: the batch is looked up on the new primary by its journal
record and never sent again.
"""
# ruff: noqa: S608 - SQL text is assembled from constant table and column names only.

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, Final, NamedTuple, TypeVar

import psycopg
from psycopg.types.numeric import IntLoader

from digisom.errors import InvariantViolation, invariant
from digisom.ledger import journal
from digisom.ledger.model import AccountFilter, Balance, Transfer
from digisom.ledger.store import BatchReads, CommitInDoubt, CommittedBatch, JournalHead, StoreUnavailable
from digisom.stores import codec
from digisom.stores.codec import (
    ACCOUNT_BALANCE_COLUMNS,
    ACCOUNT_COLUMNS,
    BALANCE_COLUMNS,
    PENDING_COLUMNS,
    POSTGRES_CODEC,
    TRANSFER_COLUMNS,
    Row,
    build_queries,
    columns,
    id_bytes,
    psycopg_placeholder,
)
from digisom.stores.failover import LOST, connect_kwargs
from digisom.stores.migrate import migrate_postgres
from digisom.stores.projection import (
    PROJECTED_SEQ_SQL,
    Projector,
    TailCache,
    TailRead,
    catch_up,
    find,
    merged,
    projection_discrepancies,
    read_tail,
)
from digisom.stores.sql_reads import Lookup, SqlReads

Connection = psycopg.Connection[tuple[Any, ...]]
_T = TypeVar("_T")

# What the database raises when a batch breaks one of its constraints (or a value does
# not fit its column). The engine should never produce such a batch, so `commit` reports
# it as the broken invariant it is, with the driver's error as the cause.
_REFUSED: Final = (psycopg.errors.IntegrityError, psycopg.errors.DataError, OverflowError)
_Q: Final = build_queries(psycopg_placeholder)

# A batch of at most this many rows is written in one pipelined round trip: an
# `INSERT ... SELECT FROM unnest(arrays)` per table, all sent before any answer is read.
# COPY cannot run in pipeline mode and costs a round trip or two per table; above this
# size its streaming wins. The submitter's batches (tens to hundreds of events) go here.
PIPELINE_ROWS_MAX: Final = 1024
# After losing the primary, how long the store tries to reach a new one (Patroni
# promotes a synchronous standby within a few seconds of a crash; see
# docs/operations.md), and the pause between attempts.
RECONNECT_TIMEOUT_S: Final = 30.0
RECONNECT_PAUSE_S: Final = 0.2
# How long a commit waits for the projector to shorten a long tail before going on (the
# tail stays correct when longer; only lookups read more of it).
PROJECTOR_ROOM_TIMEOUT_S: Final = 30.0
PROJECTOR_APPLICATION_NAME: Final = "digisom-transfer-projector"


class _Table(NamedTuple):
    """How a batch's rows go into one table: a binary COPY (large batches) or one INSERT
    of unnested arrays (small ones); the wire type of each column, in order."""

    copy: str
    insert: str
    types: list[str]


def _table(table: str, names: Sequence[str], types: list[str]) -> _Table:
    arrays = ", ".join(f"%b::{t}[]" for t in types)
    return _Table(
        f"COPY {table} ({columns(names)}) FROM STDIN (FORMAT BINARY)",
        f"INSERT INTO {table} ({columns(names)}) SELECT * FROM unnest({arrays})",
        types,
    )


# Domains travel as their base type: u128 and u64 as numeric, u32 as int8, u16 as int4.
_ACCOUNTS: Final = _table("accounts", ACCOUNT_COLUMNS, [
    "bytea", "int8", "int4", "int4", "bytea", "numeric", "int8", "numeric", "numeric", "numeric", "numeric", "int8",
])
_STAGED: Final = _table("accounts_staged", ACCOUNT_BALANCE_COLUMNS, [
    "bytea", "int4", "numeric", "numeric", "numeric", "numeric",
])
_TRANSFERS: Final = _table("transfers", TRANSFER_COLUMNS, [
    "bytea", "bytea", "bytea", "numeric", "int8", "int4", "int4", "bytea", "int8", "bytea", "numeric", "int8", "int8",
])
_PENDINGS: Final = _table("pendings", PENDING_COLUMNS, [
    "bytea", "bytea", "bytea", "numeric", "int8", "int4", "int4", "int8", "int2",
])
_PROJECT_INLINE: Final = "UPDATE projection_head SET seq = %(seq)s WHERE seq = %(seq)s - 1"
_FAILED: Final = _table("failed_transfers", ("id", "result"), ["bytea", "int2"])
_BALANCES: Final = _table("balances_history", BALANCE_COLUMNS, [
    "bytea", "int8", "numeric", "numeric", "numeric", "numeric",
])


# Session-local, never WAL-logged, emptied at every commit: scratch space for one batch.
_CREATE_STAGED: Final = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS accounts_staged "
    "(id bytea NOT NULL, flags integer NOT NULL, debits_pending numeric NOT NULL, "
    "debits_posted numeric NOT NULL, credits_pending numeric NOT NULL, credits_posted numeric NOT NULL) "
    "ON COMMIT DELETE ROWS"
)
_SET_BALANCES: Final = ", ".join(f"{name} = s.{name}" for name in ACCOUNT_BALANCE_COLUMNS if name != "id")
_UPDATE_ACCOUNTS: Final = f"UPDATE accounts AS a SET {_SET_BALANCES} FROM accounts_staged AS s WHERE a.id = s.id"
_UPDATE_ACCOUNTS_UNNESTED: Final = (
    f"UPDATE accounts AS a SET {_SET_BALANCES} "
    f"FROM unnest({', '.join(f'%b::{t}[]' for t in _STAGED.types)}) AS s ({columns(ACCOUNT_BALANCE_COLUMNS)}) "
    "WHERE a.id = s.id"
)
# Lookups by id: one array parameter, whatever the number of ids. Arrays go in binary
# (%b): psycopg would send a list of bytes as hex text, measured 48 ms for 8,190 ids
# against 4 ms in binary.
_LOOKUPS: Final[dict[Lookup, str]] = {
    "accounts": f"SELECT {columns(ACCOUNT_COLUMNS)} FROM accounts WHERE id = ANY(%b)",
    # One index probe per id, forced (a LATERAL subquery with LIMIT is not flattened into
    # a join): with thousands of ids the planner otherwise scans the whole transfers
    # table, which grows with every batch. Measured for 8,190 ids against 350,000
    # transfers: 44-76 ms by scan, 10-18 ms by probe. (Accounts are left to the planner:
    # a batch asks for a large share of them, and probing them one by one was slower.)
    "transfers": (
        f"SELECT {columns(TRANSFER_COLUMNS, 'x')} FROM unnest(%b::bytea[]) AS k (id) "
        "CROSS JOIN LATERAL (SELECT * FROM transfers AS t WHERE t.id = k.id LIMIT 1) AS x"
    ),
    "failed": "SELECT id, result FROM failed_transfers WHERE id = ANY(%b)",
    "pendings": f"SELECT {columns(PENDING_COLUMNS)} FROM pendings WHERE id = ANY(%b)",
}
_UPDATE_PENDING_STATES: Final = (
    "UPDATE pendings AS p SET state = u.state "
    "FROM unnest(%b::bytea[], %b::smallint[]) AS u (id, state) WHERE p.id = u.id"
)


class PostgresStore(SqlReads):
    """A `LedgerStore` in one PostgreSQL database. One instance per thread."""

    _codec = POSTGRES_CODEC
    _q = _Q

    def __init__(self, url: str, reconnect_timeout_s: float = RECONNECT_TIMEOUT_S, *,
                 project_behind: bool = False, projector_thread: bool = True) -> None:
        """`project_behind`: commit without the transfer rows and let a projector thread
        write them behind (docs/adr/0012-transfer-projection.md); otherwise each commit
        writes its transfers and moves the projection with them. Without
        `projector_thread` the records wait for `project()` or any other store's projector."""
        self._url = url
        self._project_behind = project_behind
        self._projector_thread = projector_thread
        self._reconnect_timeout_s = reconnect_timeout_s
        self._conn: Connection = self._connect()
        try:
            migrate_postgres(self._conn)
        except BaseException:
            self._conn.close()
            raise
        self._in_write = False
        self._tail = TailCache()
        self._projector: Projector | None = None

    def _connect(self) -> Connection:
        conn: Connection = psycopg.connect(self._url, autocommit=True, **connect_kwargs(self._url))
        try:
            # NUMERIC(39,0) comes back as int, not Decimal: the amounts are integers.
            conn.adapters.register_loader("numeric", IntLoader)
            conn.execute(_CREATE_STAGED)
        except BaseException:
            conn.close()
            raise
        return conn

    def _reconnect(self) -> None:
        """Replace the lost connection with one to the primary, trying until the timeout."""
        with contextlib.suppress(psycopg.Error):
            self._conn.close()
        deadline = time.monotonic() + self._reconnect_timeout_s
        while True:
            try:
                self._conn = self._connect()
                return
            except LOST as error:
                if time.monotonic() >= deadline:
                    raise StoreUnavailable(f"no PostgreSQL primary within {self._reconnect_timeout_s} s: {error}") \
                        from error
                time.sleep(RECONNECT_PAUSE_S)

    def _retrying(self, read: Callable[[], _T]) -> _T:
        """Run `read` (outside a write transaction: it writes nothing), again on a new
        connection if the primary was lost."""
        try:
            return read()
        except LOST as error:
            if self._in_write:  # the write transaction died with the connection; the ledger starts over
                self._abandon()
                raise StoreUnavailable(f"the write transaction was lost with the primary: {error}") from error
            self._reconnect()
            return read()

    # -- the write transaction ---------------------------------------------------------

    def begin(self) -> JournalHead:
        """BEGIN and lock the head row (the writer lock), in one round trip; return the
        head as locked."""
        invariant(not self._in_write, "begin() inside a write transaction")
        try:
            return self._begin()
        except LOST:
            # Nothing was written: wait for the primary (the new one, after a failover) and lock again.
            self._reconnect()
            return self._begin()

    def _begin(self) -> JournalHead:
        self._in_write = True
        try:
            with self._conn.pipeline():
                self._conn.execute("BEGIN")
                head = self._head_row(_Q.head + " FOR UPDATE")
                projected = self._conn.execute(PROJECTED_SEQ_SQL)
            if not self._project_behind and _first(projected.fetchone()) < head.seq:
                # A writer that projected behind left a tail; a commit that writes its
                # transfers itself must follow the projection, so it projects the tail first
                # (savepoints inside this transaction: no record can be added meanwhile).
                catch_up(self._conn, self._tail, _write_transfers)
            return head
        except BaseException:
            self._abandon()
            raise

    def commit(self, batch: CommittedBatch) -> None:
        """Write the batch (set-based: COPY, or for a small batch unnested arrays in one
        pipelined round trip), then COMMIT."""
        invariant(self._in_write, "commit() without begin()")
        conn, c = self._conn, POSTGRES_CODEC
        rows = (
            len(batch.accounts_created) + len(batch.accounts_updated) + len(batch.transfers_created)
            + len(batch.pendings_created) + len(batch.failed_transfer_ids) + len(batch.balances_history)
        )
        small = rows <= PIPELINE_ROWS_MAX
        if self._project_behind:
            # The record is the only durable copy of the transfers until they are projected.
            invariant(journal.transfer_count(batch.journal.payload) == len(batch.transfers_created),
                      f"journal record {batch.journal.seq} does not hold the batch's transfers")
        try:
            move_head, insert_journal = codec.journal_params(batch)
            # Cursors whose row counts are checked once the pipeline has delivered them.
            with conn.cursor() as cur, conn.cursor() as moved, conn.cursor() as updated, \
                    conn.cursor() as resolved, conn.cursor() as projected:
                with conn.pipeline() if small else contextlib.nullcontext():
                    moved.execute(_Q.move_head, move_head)
                    if not self._project_behind:
                        projected.execute(_PROJECT_INLINE, {"seq": batch.journal.seq})
                    cur.execute(_Q.insert_journal, insert_journal)
                    if batch.accounts_created:
                        _insert(cur, _ACCOUNTS, codec.account_rows(batch.accounts_created, c), small)
                    if batch.accounts_updated:
                        balance_rows = codec.account_balance_rows(batch.accounts_updated, c)
                        if small:
                            updated.execute(_UPDATE_ACCOUNTS_UNNESTED, _arrays(balance_rows, len(_STAGED.types)))
                        else:
                            _insert(cur, _STAGED, balance_rows, small)
                            updated.execute(_UPDATE_ACCOUNTS)
                    if batch.transfers_created and not self._project_behind:
                        _insert(cur, _TRANSFERS, codec.transfer_rows(batch.transfers_created, c), small)
                    if batch.pendings_created:
                        _insert(cur, _PENDINGS, codec.pending_rows(batch.pendings_created, c), small)
                    if batch.pendings_resolved:
                        states = _arrays(codec.id_value_rows(batch.pendings_resolved), 2)
                        resolved.execute(_UPDATE_PENDING_STATES, states)
                    if batch.failed_transfer_ids:
                        _insert(cur, _FAILED, codec.id_value_rows(batch.failed_transfer_ids), small)
                    if batch.balances_history:
                        _insert(cur, _BALANCES, codec.balance_rows(batch.balances_history, c), small)
                    if batch.ledger_totals:
                        cur.executemany(_Q.upsert_totals, codec.totals_params(batch.ledger_totals, c))
                invariant(moved.rowcount == 1, f"journal record {batch.journal.seq} does not follow the head")
                invariant(self._project_behind or projected.rowcount == 1,
                          f"the projection does not follow the head at record {batch.journal.seq}")
                if batch.accounts_updated:
                    invariant(updated.rowcount == len(batch.accounts_updated), "an updated account does not exist")
                if batch.pendings_resolved:
                    invariant(resolved.rowcount == len(batch.pendings_resolved), "a resolved pending does not exist")
        except _REFUSED as error:
            self._abandon()
            raise InvariantViolation(f"the database refused batch {batch.journal.seq}: {error}") from error
        except LOST as error:
            # Before COMMIT: the server rolls the transaction back when its connection goes.
            self._abandon()
            raise StoreUnavailable(f"batch {batch.journal.seq} not written: the primary was lost ({error})") \
                from error
        except BaseException:
            self._abandon()
            raise
        try:
            self._send_commit()
        except LOST as error:
            self._abandon()
            if not self._written_after_lost_commit(batch, error):
                raise StoreUnavailable(f"batch {batch.journal.seq} not written: the primary was lost during "
                                       f"its COMMIT ({error})") from error
        except BaseException:
            self._abandon()
            raise
        self._in_write = False
        if self._project_behind:
            self._projected_behind(batch)

    def _projected_behind(self, batch: CommittedBatch) -> None:
        """Hand a committed batch's transfers to the projector (started on the first commit)."""
        if not batch.transfers_created:
            return
        self._tail.add(batch.journal.seq, batch.transfers_created)
        if not self._projector_thread:
            return
        if self._projector is None:
            self._projector = Projector(self._projector_connection, self._tail, _write_transfers)
        self._projector.signal()
        self._projector.wait_for_room(PROJECTOR_ROOM_TIMEOUT_S)

    def _projector_connection(self) -> Connection:
        # Named, so that an operator finds it in pg_stat_activity.
        return psycopg.connect(self._url, autocommit=True, application_name=PROJECTOR_APPLICATION_NAME,
                               **connect_kwargs(self._url))

    def project(self) -> None:
        """Project every record after the projection's head now (the history reads, a
        clean close and the tests call it; the projector thread does it continuously)."""
        invariant(not self._in_write, "project() inside a write transaction")
        self._retrying(lambda: catch_up(self._conn, self._tail, _write_transfers))

    def projection_discrepancies(self) -> list[str]:
        """The projection checked against the journal (`stores.projection`): empty if the
        table holds exactly the projected records' transfers."""
        return self._retrying(lambda: projection_discrepancies(self._conn))

    def _send_commit(self) -> None:
        self._conn.execute("COMMIT")

    def _written_after_lost_commit(self, batch: CommittedBatch, lost: Exception) -> bool:
        """Whether `batch`, whose COMMIT lost its answer, is in the database: asked of the
        primary once reconnected. Its journal record is the proof (the accounts, pendings
        and the rest were in the same transaction; its transfers are in the record)."""
        try:
            self._reconnect()
            rows = self._conn.execute("SELECT hash FROM journal WHERE seq = %s", (batch.journal.seq,)).fetchall()
        except (StoreUnavailable, *LOST) as error:
            raise CommitInDoubt(f"batch {batch.journal.seq}: COMMIT sent, answer lost ({lost}), and the primary "
                                f"cannot be asked ({error}); look it up by its journal seq") from error
        written = bool(rows) and bytes(rows[0][0]) == batch.journal.hash
        invariant(not rows or written, f"journal record {batch.journal.seq} holds another batch")
        return written

    def rollback(self) -> None:
        """Abandon the write transaction, if one is open. On a lost connection there is
        nothing to roll back: the server dropped the transaction with it."""
        if self._in_write:
            self._in_write = False
            if self._conn.info.transaction_status not in (psycopg.pq.TransactionStatus.IDLE,
                                                          psycopg.pq.TransactionStatus.UNKNOWN):
                with contextlib.suppress(*LOST):
                    self._conn.execute("ROLLBACK")

    def _abandon(self) -> None:
        # A broken connection cannot roll back; the error that broke it is the one to see.
        with contextlib.suppress(psycopg.Error):
            self.rollback()

    @property
    def backend_pid(self) -> int:
        """The server process serving this connection (the benches read its CPU time)."""
        return self._conn.info.backend_pid

    # -- reads: SqlReads ----------------------------------------------------------------

    def read_batch(
        self,
        now_ns: int,
        due_limit: int,
        account_ids: Collection[int],
        transfer_ids: Collection[int],
        pending_ids: Collection[int],
    ) -> BatchReads:
        """The reads before a batch, all sent before any answer is read: one round trip."""
        return self._retrying(lambda: self._read_batch(now_ns, due_limit, account_ids, transfer_ids, pending_ids))

    def _read_batch(
        self,
        now_ns: int,
        due_limit: int,
        account_ids: Collection[int],
        transfer_ids: Collection[int],
        pending_ids: Collection[int],
    ) -> BatchReads:
        conn = self._conn
        named = set(transfer_ids) | set(pending_ids)
        asked: dict[Lookup, Collection[int]] = {
            "accounts": account_ids, "transfers": named, "pendings": pending_ids, "failed": transfer_ids,
        }
        with conn.pipeline():
            # The tail before the lookups: see `stores.projection`.
            tail = TailRead(conn, self._tail) if named else None
            due = conn.execute(_Q.pendings_due, {"now": now_ns, "limit": due_limit})
            sent = {
                kind: conn.execute(_LOOKUPS[kind], ([id_bytes(i) for i in ids],)) for kind, ids in asked.items() if ids
            }
        rows = {kind: cursor.fetchall() for kind, cursor in sent.items()}
        view = tail.view() if tail is not None else {}
        return BatchReads(
            pendings_due=codec.pendings_from_rows(due.fetchall(), POSTGRES_CODEC),
            accounts=self._accounts_found(rows.get("accounts", [])),
            transfers=merged(self._transfers_found(rows.get("transfers", [])), find(view, named)),
            pendings=self._pendings_found(rows.get("pendings", [])),
            failed_ids=self._failed_found(rows.get("failed", [])),
        )

    def get_transfers(self, ids: Collection[int]) -> dict[int, Transfer]:
        """The transfers among `ids` that exist: the table's and the tail's."""
        if not ids:
            return {}

        def read() -> dict[int, Transfer]:
            conn = self._conn
            with conn.pipeline():  # one round trip; the tail first (see `stores.projection`)
                tail = TailRead(conn, self._tail)
                found = conn.execute(_LOOKUPS["transfers"], ([id_bytes(i) for i in ids],))
            return merged(self._transfers_found(found.fetchall()), find(tail.view(), ids))

        return self._retrying(read)

    def get_account_transfers(self, query: AccountFilter) -> list[Transfer]:
        """A page of an account's transfers, once the projection has reached the head."""
        self._projected_to_head()
        return super().get_account_transfers(query)

    def get_account_balances(self, query: AccountFilter) -> list[Balance]:
        """A page of an account's balance history (its side is known from the transfer
        table), once the projection has reached the head."""
        self._projected_to_head()
        return super().get_account_balances(query)

    def _projected_to_head(self) -> None:
        # A read first (no lock): with the projection at the head, as it is when every
        # writer writes its transfers itself, nothing more is done.
        self._retrying(lambda: read_tail(self._conn, self._tail))
        if self._tail.size():
            self.project()

    def close(self) -> None:
        """Abandon any open write, stop the projector, project what is left (best effort:
        any process's next projector step does it otherwise) and close the connection."""
        try:
            self.rollback()
            if self._projector is not None:
                self._projector.stop()
                self._projector = None
                with contextlib.suppress(psycopg.Error, StoreUnavailable):
                    catch_up(self._conn, self._tail, _write_transfers)
        finally:
            self._conn.close()

    # -- internals ---------------------------------------------------------------------

    def _head(self) -> JournalHead:
        return self._retrying(lambda: self._head_row(_Q.head))

    def _head_row(self, sql: str) -> JournalHead:
        row = self._conn.execute(sql).fetchone()
        if row is None:
            raise InvariantViolation("journal_head has no row")
        seq, hash_, timestamp = row
        return JournalHead(seq, bytes(hash_), timestamp)

    def _fetch(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Any]:
        return self._retrying(lambda: self._conn.execute(sql, params).fetchall())

    def _lookup(self, kind: Lookup, ids: Collection[int]) -> list[Any]:
        """Rows of `select ... = ANY(ids)`: one statement, one array parameter."""
        if not ids:
            return []
        return self._retrying(lambda: self._conn.execute(_LOOKUPS[kind], ([id_bytes(i) for i in ids],)).fetchall())


def _first(row: tuple[Any, ...] | None) -> int:
    invariant(row is not None, "projection_head has no row")
    return int(row[0])  # type: ignore[index]


def _write_transfers(cur: psycopg.Cursor[tuple[Any, ...]], transfers: Sequence[Transfer]) -> None:
    """The projector's write: the transfers' rows, as a commit used to write them."""
    _insert(cur, _TRANSFERS, codec.transfer_rows(transfers, POSTGRES_CODEC), len(transfers) <= PIPELINE_ROWS_MAX)


def _insert(cur: psycopg.Cursor[tuple[Any, ...]], target: _Table, rows: Iterable[Row], small: bool) -> None:
    """Write `rows` into `target`: one INSERT of unnested arrays if `small`, else one binary COPY."""
    if small:
        cur.execute(target.insert, _arrays(rows, len(target.types)))
        return
    with cur.copy(target.copy) as copy:
        copy.set_types(target.types)
        write_row = copy.write_row
        for row in rows:
            write_row(row)


def _arrays(rows: Iterable[Row], width: int) -> list[list[Any]]:
    """Rows as one list per column: the parameters of an `unnest(...)`."""
    by_column = [list(column) for column in zip(*rows, strict=True)]
    return by_column or [[] for _ in range(width)]
