"""The register's event log on the database: append-only (the code only inserts; the
triggers of migration 2 refuse UPDATE and DELETE), each event chained to the previous one
and signed with the service's key.

A change is decided on the stream's events as they stand and appended in the same
transaction; two writers that decided on the same head collide on the next seq (primary
key) or the head's hash (unique `prev_hash`), and the loser decides again on the new head.

`batch()` runs many changes in one transaction (the seed's hundreds of steps: a commit
each would take seconds on a disk that syncs): each change in its own savepoint, so a
refused one leaves the others; the whole batch is durable, or none of it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, Row, func, select
from sqlalchemy.exc import IntegrityError

from digisom.kernel.canonical_json import canonical_json
from digisom.kernel.clock import iso_utc
from digisom.kernel.db_errors import is_unique_violation
from digisom.registry import chain, tables
from digisom.registry.chain import Event

APPEND_ATTEMPTS: Final = 5
EXPORT_FORMAT: Final = "digisom-register-export-v1"
EVENTS_PAGE_MAX: Final = 1000

SideEffect = Callable[[Connection, Sequence[Event]], None]


@dataclass(frozen=True, slots=True)
class Change:
    """What a decision appends: events (kind, body) on the stream, and rows of the side
    tables written in the same transaction (reviews, licence numbers, the old view)."""

    events: Sequence[tuple[str, Mapping[str, Any]]]
    side_effect: SideEffect | None = field(default=None)


def _event(row: Row[Any]) -> Event:
    return Event(int(row.seq), row.stream, row.kind, json.loads(row.body), row.actor, row.at, row.prev_hash,
                 row.hash, row.signature)


class EventLog:
    """The signed, hash-chained log of the register and of VASP licensing."""

    def __init__(self, engine: Engine, key: Ed25519PrivateKey, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self._key = key
        self._clock = clock
        self.public_key_hex = chain.public_key_hex(key)
        # The connection of the batch open in this thread (or task), if any: one per log.
        self._batch: ContextVar[Connection | None] = ContextVar(f"registry-batch-{id(self)}", default=None)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Every change and read of this log within the block (in this thread) in one
        transaction, committed at its end, rolled back whole if it raises."""
        if self._batch.get() is not None:
            yield
            return
        with self.engine.begin() as conn:
            token = self._batch.set(conn)
            try:
                yield
            finally:
                self._batch.reset(token)

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A transaction for one change: the batch's savepoint, or a transaction of its own."""
        shared = self._batch.get()
        if shared is None:
            with self.engine.begin() as conn:
                yield conn
            return
        with shared.begin_nested():
            yield shared

    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        """The batch's connection (it sees the batch's changes; on SQLite, a second one
        would wait for its lock), or a connection of its own."""
        shared = self._batch.get()
        if shared is not None:
            yield shared
            return
        with self.engine.connect() as conn:
            yield conn

    def commit(self, stream: str, actor: str,
               decide: Callable[[Connection, Sequence[Event]], Change]) -> list[Event]:
        """Decide on `stream`'s events and append what was decided; retried on a lost race
        (another writer took the next seq or the head's hash: a unique violation). Any
        other integrity error, a CHECK the change broke, is raised at once."""
        for attempt in range(APPEND_ATTEMPTS):
            try:
                with self._writing() as conn:
                    change = decide(conn, self.stream(stream, conn))
                    appended = self._append(conn, stream, actor, change.events)
                    if change.side_effect is not None:
                        change.side_effect(conn, appended)
                    return appended
            except IntegrityError as error:
                if not is_unique_violation(error) or attempt == APPEND_ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    def _append(self, conn: Connection, stream: str, actor: str,
                events: Sequence[tuple[str, Mapping[str, Any]]]) -> list[Event]:
        head = conn.execute(select(tables.events.c.seq, tables.events.c.hash)
                            .order_by(tables.events.c.seq.desc()).limit(1)).first()
        seq, prev_hash = (int(head.seq), head.hash) if head else (0, chain.GENESIS_HASH)
        at = iso_utc(self._clock())
        sealed: list[Event] = []
        for kind, body in events:
            seq += 1
            event = chain.seal(self._key, seq, stream, kind, body, actor, at, prev_hash)
            conn.execute(tables.events.insert().values(
                seq=event.seq, stream=stream, kind=kind, body=canonical_json(body), actor=actor, at=at,
                prev_hash=prev_hash, hash=event.hash, signature=event.signature))
            sealed.append(event)
            prev_hash = event.hash
        return sealed

    def stream(self, stream: str, conn: Connection | None = None) -> list[Event]:
        """Every event of `stream`, in order."""
        query = select(tables.events).where(tables.events.c.stream == stream).order_by(tables.events.c.seq)
        if conn is not None:
            return [_event(row) for row in conn.execute(query)]
        with self._reading() as own:
            return [_event(row) for row in own.execute(query)]

    def streams(self, prefix: str) -> dict[str, list[Event]]:
        """Every stream starting with `prefix`, each with its events in order."""
        found: dict[str, list[Event]] = {}
        query = select(tables.events).where(tables.events.c.stream.startswith(prefix, autoescape=True))
        with self._reading() as conn:
            for row in conn.execute(query.order_by(tables.events.c.seq)):
                found.setdefault(row.stream, []).append(_event(row))
        return found

    def page(self, after_seq: int = 0, limit: int = EVENTS_PAGE_MAX) -> list[Event]:
        """Events after `after_seq`, in order, at most `limit`."""
        query = (select(tables.events).where(tables.events.c.seq > after_seq).order_by(tables.events.c.seq)
                 .limit(min(limit, EVENTS_PAGE_MAX)))
        with self._reading() as conn:
            return [_event(row) for row in conn.execute(query)]

    def everything(self) -> list[Event]:
        """The whole log, in order (the export)."""
        with self._reading() as conn:
            return [_event(row) for row in conn.execute(select(tables.events).order_by(tables.events.c.seq))]

    def export(self) -> dict[str, Any]:
        """The whole log with the public key that checks it (`digisom register verify`)."""
        return {"format": EXPORT_FORMAT, "public_key": self.public_key_hex,
                "events": [e.as_json() for e in self.everything()]}

    def head_seq(self) -> int:
        """The last event's seq (0: empty)."""
        with self._reading() as conn:
            return int(conn.execute(select(func.coalesce(func.max(tables.events.c.seq), 0))).scalar_one())
