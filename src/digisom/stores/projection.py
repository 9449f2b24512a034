"""The PostgreSQL transfer table as a projection of the journal (docs/adr/0012-transfer-projection.md).

A commit writes the journal record, whose payload holds every transfer of the batch, and
leaves the transfer rows (four index entries each) to a projector that writes them in
its own transaction behind it. `projection_head.seq` names the last record whose
transfers are all in the table; the records after it are the tail.

- Lookups by id read the table and the tail together: `TAIL_SQL` before the lookup, so
  nothing committed in between can be missed (a record projected after the tail was read
  is in the table when the lookup runs), and the records the cache held when the tail was
  asked for are kept for the read (`TailRead`): the projector may drop them from the
  cache while the lookup runs.
- History pages (an account's transfers or balances, ordered and limited by the
  database) first bring the projection up to the head (`catch_up`).
- The projector step locks `projection_head`, so any number of processes may run one;
  the row count check and the primary key on `transfers.id` refuse a record projected twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, Final

import psycopg
import structlog

from digisom.errors import invariant
from digisom.ledger import journal
from digisom.ledger.model import Transfer

Connection = psycopg.Connection[tuple[Any, ...]]
Cursor = psycopg.Cursor[tuple[Any, ...]]
# Writes `transfers` into the table on `cursor` (the store's COPY).
WriteRows = Callable[[Cursor, Sequence[Transfer]], None]

log = structlog.get_logger(__name__)
# Unprojected records: journal seq -> the record's transfers by id.
Records = dict[int, dict[int, Transfer]]

# One projector step writes at most this many records (about 65,000 transfers at the
# CLI's batch size): a catch-up after a long outage commits in steps, not at once.
STEP_RECORDS_MAX: Final = 8
# A commit waits while the tail is longer than this many records: the tail is read by
# every lookup, so it must stay short; the projector has a core of its own only if the
# machine has one to spare.
TAIL_RECORDS_MAX: Final = 4
# The projector also wakes this often with nothing signalled: another process's records
# (or a crashed one's) are projected even when this process writes nothing.
IDLE_WAKE_S: Final = 1.0

# The tail as one statement (one snapshot): the projection's seq, then every record after
# it except those this process already holds decoded.
TAIL_SQL: Final = (
    "SELECT p.seq, j.seq, j.payload FROM projection_head AS p "
    "LEFT JOIN journal AS j ON j.seq > p.seq AND NOT (j.seq = ANY(%s::int8[])) ORDER BY j.seq"
)
_LOCK_SQL: Final = "SELECT seq FROM projection_head FOR UPDATE"
_LOCK_NOWAIT_SQL: Final = "SELECT seq FROM projection_head FOR UPDATE SKIP LOCKED"
_RECORDS_SQL: Final = "SELECT seq, payload FROM journal WHERE seq > %s ORDER BY seq LIMIT %s"
_MOVE_SQL: Final = "UPDATE projection_head SET seq = %s WHERE seq = %s"
PROJECTED_SEQ_SQL: Final = "SELECT seq FROM projection_head"
_TABLE_SQL: Final = "SELECT id, amount, timestamp FROM transfers"


class TailCache:
    """The transfers of unprojected records this process knows, by record seq. Guarded by
    a lock: the writer adds what it commits, the projector and readers prune."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: Records = {}
        self.projected_seq = 0

    def add(self, seq: int, transfers: Iterable[Transfer]) -> None:
        with self._lock:
            if seq > self.projected_seq:
                self._records[seq] = {t.id: t for t in transfers}

    def held(self) -> Records:
        """The records held now: what a read leaves out of its `TAIL_SQL` and then uses."""
        with self._lock:
            return dict(self._records)

    def records(self, seqs: Collection[int]) -> dict[int, Sequence[Transfer]]:
        with self._lock:
            return {seq: list(self._records[seq].values()) for seq in seqs if seq in self._records}

    def size(self) -> int:
        with self._lock:
            return len(self._records)

    def projected(self, seq: int) -> None:
        """Records up to `seq` are in the table: forget them."""
        with self._lock:
            self.projected_seq = max(self.projected_seq, seq)
            for old in [s for s in self._records if s <= self.projected_seq]:
                del self._records[old]

    def absorb(self, rows: Iterable[Sequence[Any]], held: Records) -> Records:
        """Take the rows of `TAIL_SQL` asked for without `held`: prune to its projection
        seq, decode and keep the records it returned. The tail as this read sees it."""
        view = dict(held)
        rows = list(rows)
        if not rows:
            return view
        self.projected(rows[0][0])
        for _, seq, payload in rows:
            if seq is not None:
                view[seq] = {t.id: t for t in journal.decode(bytes(payload)).transfers}
                self.add(seq, view[seq].values())
        return view


class TailRead:
    """One read's view of the tail: `TAIL_SQL` is sent when it is made (before the read's
    lookups, in the same pipeline if there is one), and `view()` fetches it once they are
    sent. It keeps the records the cache held when it asked, which the query leaves out:
    the projector may drop them from the cache while the lookups run."""

    def __init__(self, conn: Connection, cache: TailCache) -> None:
        self._cache = cache
        self._held = cache.held()
        self._cursor = conn.execute(TAIL_SQL, (list(self._held),))

    def view(self) -> Records:
        return self._cache.absorb(self._cursor.fetchall(), self._held)


def find(view: Records, ids: Collection[int]) -> dict[int, Transfer]:
    """The transfers among `ids` in a read's tail."""
    found = {}
    for transfers in view.values():
        for transfer_id in ids:
            transfer = transfers.get(transfer_id)
            if transfer is not None:
                found[transfer_id] = transfer
    return found


def read_tail(conn: Connection, cache: TailCache) -> None:
    """Bring `cache` to the database's tail (one statement)."""
    TailRead(conn, cache).view()


def project_step(conn: Connection, cache: TailCache, write_rows: WriteRows, *, wait: bool) -> int:
    """Project up to `STEP_RECORDS_MAX` records after the projection's head, in one
    transaction; the number projected (0 if none were waiting, or, unless `wait`, if
    another process holds the projection)."""
    with conn.transaction(), conn.cursor() as cur:
        locked = cur.execute(_LOCK_SQL if wait else _LOCK_NOWAIT_SQL).fetchone()
        if locked is None:
            return 0
        head = locked[0]
        records = cur.execute(_RECORDS_SQL, (head, STEP_RECORDS_MAX)).fetchall()
        if not records:
            cache.projected(head)
            return 0
        held = cache.records([seq for seq, _ in records])
        transfers: list[Transfer] = []
        expected = head
        for seq, payload in records:
            invariant(seq == expected + 1, f"journal record {expected + 1} is missing before {seq}")
            expected = seq
            transfers.extend(held[seq] if seq in held else journal.decode(bytes(payload)).transfers)
        if transfers:
            write_rows(cur, transfers)
        moved = cur.execute(_MOVE_SQL, (expected, head))
        invariant(moved.rowcount == 1, "the projection's head moved under its lock")
    cache.projected(expected)
    return len(records)


def catch_up(conn: Connection, cache: TailCache, write_rows: WriteRows) -> None:
    """Project until no record is waiting (waiting for any other projector first)."""
    while project_step(conn, cache, write_rows, wait=True):
        pass


class Projector:
    """A thread that projects this process's commits as they happen (and anyone's
    leftovers, every `IDLE_WAKE_S`), on a connection of its own."""

    def __init__(self, connect: Callable[[], Connection], cache: TailCache, write_rows: WriteRows) -> None:
        self._connect = connect
        self._cache = cache
        self._write_rows = write_rows
        self._wake = threading.Event()
        self._progress = threading.Condition()
        self._stopping = False
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="transfer-projector", daemon=True)
        self._thread.start()

    def signal(self) -> None:
        self._wake.set()

    def wait_for_room(self, timeout_s: float) -> None:
        """Block while the tail is longer than `TAIL_RECORDS_MAX` (at most `timeout_s`)."""
        with self._progress:
            room = self._progress.wait_for(lambda: self._cache.size() <= TAIL_RECORDS_MAX or self._stopping,
                                           timeout=timeout_s)
        if not room:
            log.error("the transfer projection is not keeping up", unprojected_records=self._cache.size())

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        self._thread.join()

    def _run(self) -> None:
        conn: Connection | None = None
        while not self._stopping:
            self._wake.wait(IDLE_WAKE_S)
            self._wake.clear()
            try:
                if conn is None or conn.closed:
                    conn = self._connect()
                while not self._stopping and project_step(conn, self._cache, self._write_rows, wait=False):
                    with self._progress:
                        self._progress.notify_all()
            except Exception as error:  # the thread must outlive any one failure
                # A lost primary, or a record the database refuses (a broken invariant: see
                # the ADR): nothing half-written (one transaction); the next round reconnects
                # and tries again, and lookups read the tail meanwhile.
                log.error("transfer projection step failed", error=repr(error))
                if conn is not None:
                    conn.close()
                conn = None
            with self._progress:
                self._progress.notify_all()
        if conn is not None:
            conn.close()


def projection_discrepancies(conn: Connection, page_records: int = 64) -> list[str]:
    """The independent check of the projection: every transfer of the records up to
    `projection_head` is in the table once, as the record has it, and the table holds
    nothing else. Reads the whole journal and table (an audit, not a hot path)."""
    (projected,) = conn.execute(PROJECTED_SEQ_SQL).fetchone() or (None,)
    if projected is None:
        return ["projection_head has no row"]
    found: list[str] = []
    expected: dict[bytes, tuple[Any, ...]] = {}
    after = 0
    while rows := conn.execute(_RECORDS_SQL, (after, page_records)).fetchall():
        for seq, payload in rows:
            after = seq
            if seq > projected:
                break
            for transfer in journal.decode(bytes(payload)).transfers:
                expected[transfer.id.to_bytes(16, "big")] = (transfer.amount, transfer.timestamp)
        if after > projected:
            break
    table = {bytes(tid): (int(amount), int(ts)) for tid, amount, ts in conn.execute(_TABLE_SQL)}
    for missing in expected.keys() - table.keys():
        found.append(f"transfer {int.from_bytes(missing, 'big')} of a projected record is not in the table")
    for extra in table.keys() - expected.keys():
        found.append(f"transfer {int.from_bytes(extra, 'big')} is in the table but in no projected record")
    found.extend(f"transfer {int.from_bytes(tid, 'big')} differs from its record"
                 for tid in expected.keys() & table.keys() if expected[tid] != table[tid])
    return found


def merged(found: Mapping[int, Transfer], tail: Mapping[int, Transfer]) -> dict[int, Transfer]:
    """A lookup's rows and the tail's: a record projected between the two reads is in both,
    and the same."""
    return {**tail, **found}
