"""The log on the database: append records (idempotent by id), sign tree heads, serve
entries and proofs, keep anchors.

Leaf i is row `leaf_index` i; two writers that decided on the same next index collide on
the primary key and the loser decides again. Proofs are built from the stored leaf hashes
of the tree they are for, and only for trees the log has signed: a client never sees a
root nobody signed."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, Row, func, select
from sqlalchemy.exc import IntegrityError

from digisom.kernel.clock import iso_utc
from digisom.kernel.db_errors import reraise_unless_unique
from digisom.transparency import merkle, sth, tables
from digisom.transparency.errors import LogNotFound, OutOfRange, RecordConflict
from digisom.transparency.records import Record, record
from digisom.transparency.sth import TreeHead

APPEND_ATTEMPTS: Final = 5
ENTRIES_PAGE_MAX: Final = 100
HEADS_PAGE_MAX: Final = 1000


@dataclass(frozen=True, slots=True)
class Entry:
    """Leaf `leaf_index` as stored: its entry bytes and leaf hash."""

    leaf_index: int
    record_id: str
    entry: bytes
    leaf_hash: bytes


@dataclass(frozen=True, slots=True)
class Anchor:
    """A tree head's digest carried by a chain transaction (raw: anyone recomputes its hash)."""

    tree_size: int
    sth_hash: bytes
    chain_id: int
    tx_hash: str
    raw_tx: bytes
    block_number: int

    def as_json(self) -> dict[str, Any]:
        """As published."""
        return {"tree_size": self.tree_size, "sth_hash": self.sth_hash.hex(), "chain_id": self.chain_id,
                "tx_hash": self.tx_hash, "raw_tx": "0x" + self.raw_tx.hex(), "block_number": self.block_number}


@dataclass(frozen=True, slots=True)
class Inclusion:
    """A record, where it is, and the path that proves it in a signed tree."""

    entry: Entry
    head: TreeHead
    path: Sequence[bytes]


def _head(row: Row[Any]) -> TreeHead:
    return TreeHead(int(row.tree_size), bytes.fromhex(row.root_hash), int(row.timestamp_ms),
                    bytes.fromhex(row.signature))


def _entry(row: Row[Any]) -> Entry:
    return Entry(int(row.leaf_index), row.record_id, row.entry.encode(), bytes.fromhex(row.leaf_hash))


class TransparencyLog:
    """The public log of published records, signed with `key`."""

    def __init__(self, engine: Engine, key: Ed25519PrivateKey, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self._key = key
        self._clock = clock
        self.public_key = sth.public_key_raw(key)

    def append(self, record_id: str, kind: str, body: dict[str, Any]) -> tuple[int, bool]:
        """Log a record; (its leaf index, whether it was appended now). The same id again
        with the same kind and body is the first append's index; with another,
        `RecordConflict`."""
        for attempt in range(APPEND_ATTEMPTS):
            try:
                with self.engine.begin() as conn:
                    existing = conn.execute(select(tables.entries).where(
                        tables.entries.c.record_id == record_id)).first()
                    if existing is not None:
                        return self._same(_entry(existing), record_id, kind, body), False
                    made = record(record_id, kind, iso_utc(self._clock()), body)
                    index = self._size(conn)
                    entry = made.entry()
                    conn.execute(tables.entries.insert().values(
                        leaf_index=index, record_id=record_id, kind=kind, entry=entry.decode(),
                        leaf_hash=merkle.leaf_hash(entry).hex()))
                    return index, True
            except IntegrityError as error:  # another append took the next leaf index: try again
                reraise_unless_unique(error)
                if attempt == APPEND_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    def _same(found: Entry, record_id: str, kind: str, body: dict[str, Any]) -> int:
        # Compared without the publication time: the same record published again is the same.
        raw = json.loads(found.entry)
        if Record(record_id, raw["kind"], "", raw["body"]).entry() != Record(record_id, kind, "", body).entry():
            raise RecordConflict(f"record {record_id} is already logged with other content")
        return found.leaf_index

    @staticmethod
    def _size(conn: Connection) -> int:
        return int(conn.execute(select(func.count()).select_from(tables.entries)).scalar_one())

    def size(self) -> int:
        """How many records the log holds (signed or not yet)."""
        with self.engine.connect() as conn:
            return self._size(conn)

    def _leaf_hashes(self, conn: Connection, size: int) -> list[bytes]:
        rows = conn.execute(select(tables.entries.c.leaf_hash).where(tables.entries.c.leaf_index < size)
                            .order_by(tables.entries.c.leaf_index)).scalars()
        return [bytes.fromhex(h) for h in rows]

    def sign_head(self) -> TreeHead:
        """A signed head of the whole log now (the newest one again when nothing was appended)."""
        with self.engine.begin() as conn:
            size = self._size(conn)
            newest = self._newest(conn)
            if newest is not None and newest.tree_size == size:
                return newest
            head = sth.sign(self._key, size, merkle.root(self._leaf_hashes(conn, size)),
                            int(self._clock().timestamp() * 1000))
            conn.execute(tables.tree_heads.insert().values(
                tree_size=head.tree_size, root_hash=head.root_hash.hex(), timestamp_ms=head.timestamp_ms,
                signature=head.signature.hex()))
            return head

    @staticmethod
    def _newest(conn: Connection) -> TreeHead | None:
        row = conn.execute(select(tables.tree_heads).order_by(tables.tree_heads.c.tree_size.desc()).limit(1)).first()
        return None if row is None else _head(row)

    def newest_head(self) -> TreeHead:
        """The newest signed tree head; `LogNotFound` before the first."""
        with self.engine.connect() as conn:
            found = self._newest(conn)
        if found is None:
            raise LogNotFound("the log has not signed a tree head yet")
        return found

    def head(self, tree_size: int) -> TreeHead:
        """The signed head of `tree_size`; `LogNotFound` if the log never signed that size."""
        with self.engine.connect() as conn:
            row = conn.execute(select(tables.tree_heads).where(tables.tree_heads.c.tree_size == tree_size)).first()
        if row is None:
            raise LogNotFound(f"no signed tree head of size {tree_size}")
        return _head(row)

    def heads(self, after_size: int = -1, limit: int = HEADS_PAGE_MAX) -> list[TreeHead]:
        """Signed heads larger than `after_size`, smallest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(tables.tree_heads).where(tables.tree_heads.c.tree_size > after_size)
                                .order_by(tables.tree_heads.c.tree_size).limit(min(limit, HEADS_PAGE_MAX)))
            return [_head(row) for row in rows]

    def entries(self, start: int, end: int) -> list[Entry]:
        """Leaves start..end-1 of the newest signed tree, at most `ENTRIES_PAGE_MAX`."""
        signed = self.newest_head().tree_size
        if not 0 <= start < end or start >= signed:
            raise OutOfRange(f"entries {start}..{end} are not in the signed log of {signed}")
        if end - start > ENTRIES_PAGE_MAX:
            raise OutOfRange(f"at most {ENTRIES_PAGE_MAX} entries a page")
        with self.engine.connect() as conn:
            rows = conn.execute(select(tables.entries).where(tables.entries.c.leaf_index >= start,
                                                             tables.entries.c.leaf_index < min(end, signed))
                                .order_by(tables.entries.c.leaf_index))
            return [_entry(row) for row in rows]

    def inclusion(self, record_id: str) -> Inclusion:
        """A record with its audit path in the newest signed tree; `LogNotFound` if the
        log has no such record, or has not signed a tree that holds it yet."""
        head = self.newest_head()
        with self.engine.connect() as conn:
            row = conn.execute(select(tables.entries).where(tables.entries.c.record_id == record_id)).first()
            if row is None or int(row.leaf_index) >= head.tree_size:
                raise LogNotFound(f"no record {record_id} in the signed log")
            found = _entry(row)
            leaves = self._leaf_hashes(conn, head.tree_size)
        return Inclusion(found, head, merkle.inclusion_path(found.leaf_index, leaves))

    def consistency(self, first: int, second: int) -> list[bytes]:
        """The proof that the signed tree of `first` is a prefix of the signed tree of `second`."""
        if not 0 <= first <= second:
            raise OutOfRange(f"a tree of {first} cannot be a prefix of a tree of {second}")
        self.head(second)
        if first:
            self.head(first)
        with self.engine.connect() as conn:
            return merkle.consistency_path(first, self._leaf_hashes(conn, second))

    def record_anchor(self, anchor: Anchor) -> None:
        """Keep the transaction that anchored a signed head."""
        with self.engine.begin() as conn:
            conn.execute(tables.anchors.insert().values(
                tree_size=anchor.tree_size, sth_hash=anchor.sth_hash.hex(), chain_id=anchor.chain_id,
                tx_hash=anchor.tx_hash, raw_tx=anchor.raw_tx.hex(), block_number=anchor.block_number))

    def anchored(self, tree_size: int) -> bool:
        """Whether the head of `tree_size` has an anchor."""
        with self.engine.connect() as conn:
            return conn.execute(select(tables.anchors.c.tree_size)
                                .where(tables.anchors.c.tree_size == tree_size)).first() is not None

    def unanchored(self) -> list[TreeHead]:
        """Signed heads after the newest anchored one, smallest first (all, to a page, if none
        is anchored yet)."""
        heads, anchors = tables.tree_heads, tables.anchors
        with self.engine.connect() as conn:
            newest = conn.execute(select(func.max(anchors.c.tree_size))).scalar_one()
            rows = conn.execute(select(heads).where(heads.c.tree_size > (-1 if newest is None else int(newest)))
                                .order_by(heads.c.tree_size).limit(HEADS_PAGE_MAX))
            return [_head(row) for row in rows]

    def anchors(self, after_size: int = -1, limit: int = HEADS_PAGE_MAX) -> list[Anchor]:
        """Anchors of heads larger than `after_size`, smallest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(tables.anchors).where(tables.anchors.c.tree_size > after_size)
                                .order_by(tables.anchors.c.tree_size).limit(min(limit, HEADS_PAGE_MAX)))
            return [Anchor(int(r.tree_size), bytes.fromhex(r.sth_hash), int(r.chain_id), r.tx_hash,
                           bytes.fromhex(r.raw_tx), int(r.block_number)) for r in rows]
