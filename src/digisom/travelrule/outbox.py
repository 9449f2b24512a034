"""The callbacks' outbox (`travelrule_callbacks`): what is owed to a sender whose held
inquiry was decided, and how each delivery went.

A row is written in the transaction that moves the inquiry out of `pending_review`
(`enqueue`), so a decision is never lost nor announced twice. Its body is the whole
message: the inquiry's id, the sender's request id, the status, the reason and when; no
IVMS101 data. Claiming (`claim`) pushes the rows' next attempt past a lease in one short
transaction (`FOR UPDATE SKIP LOCKED` on PostgreSQL), so two processes never post the
same row at once and a process that dies mid-post leaves it due again after the lease.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Final

from sqlalchemy import Connection, RowMapping, insert, select, update

from digisom.kernel.canonical_json import canonical_json
from digisom.kernel.clock import iso_utc
from digisom.travelrule import tables
from digisom.travelrule.model import Inquiry

CLAIM_MAX: Final = 20


class CallbackStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"  # given up after the last attempt; the row is kept


@dataclass(frozen=True, slots=True)
class Callback:
    """One row: what to post where, and how it went so far."""

    callback_id: str
    inquiry_id: str
    url: str
    body: str
    status: CallbackStatus
    attempts: int
    next_attempt_at: str
    delivered_at: str
    last_error: str


def callback_id_of(inquiry_id: str) -> str:
    """The delivery's id (derived: one callback per inquiry), sent as its idempotency key."""
    return "trc_" + hashlib.sha256(f"travelrule-callback\x1f{inquiry_id}".encode()).hexdigest()[:32]


def callback_body(inquiry: Inquiry, at: datetime) -> str:
    """The canonical JSON posted (keys sorted, compact): nothing else about the inquiry."""
    return canonical_json({"inquiry_id": inquiry.inquiry_id, "request_id": inquiry.request_id,
                           "status": inquiry.status.value, "reason": inquiry.reason, "at": iso_utc(at)})


def enqueue(conn: Connection, inquiry: Inquiry, now: datetime) -> str | None:
    """Owe `inquiry`'s sender its final answer, if it named a callback URL (in the
    caller's transaction: the one that decided it); the callback's id, or None."""
    if not inquiry.callback_url:
        return None
    callback_id = callback_id_of(inquiry.inquiry_id)
    conn.execute(insert(tables.callbacks).values(
        callback_id=callback_id, inquiry_id=inquiry.inquiry_id, url=inquiry.callback_url,
        body=callback_body(inquiry, now), status=CallbackStatus.PENDING.value, attempts=0,
        next_attempt_at=iso_utc(now), delivered_at="", last_error="", created_at=iso_utc(now)))
    return callback_id


def any_due(conn: Connection, now: datetime) -> bool:
    """Whether a pending row is due (a read: a round with nothing to do takes no write lock)."""
    c = tables.callbacks.c
    return conn.execute(select(c.callback_id).where(c.status == CallbackStatus.PENDING.value,
                                                    c.next_attempt_at <= iso_utc(now)).limit(1)).first() is not None


def claim(conn: Connection, now: datetime, lease_s: float, limit: int = CLAIM_MAX) -> list[Callback]:
    """The pending rows due at `now`, oldest first, each leased until `now + lease_s` (the
    caller's transaction; rows another process holds are skipped, not waited for)."""
    c = tables.callbacks.c
    query = (select(tables.callbacks).where(c.status == CallbackStatus.PENDING.value,
                                            c.next_attempt_at <= iso_utc(now))
             .order_by(c.next_attempt_at, c.callback_id).limit(limit).with_for_update(skip_locked=True))
    found = [_callback(row) for row in conn.execute(query).mappings()]
    if found:
        conn.execute(update(tables.callbacks).where(c.callback_id.in_([f.callback_id for f in found]))
                     .values(next_attempt_at=iso_utc(now + timedelta(seconds=lease_s))))
    return found


def record_delivered(conn: Connection, claimed: Callback, now: datetime) -> bool:
    """The claimed row delivered (guarded by its attempts: a stale claim changes nothing)."""
    return _settle(conn, claimed, status=CallbackStatus.DELIVERED.value, delivered_at=iso_utc(now), last_error="")


def record_failed(conn: Connection, claimed: Callback, error: str, next_attempt_at: datetime | None) -> bool:
    """A failed attempt: due again at `next_attempt_at`, or given up (None)."""
    status = CallbackStatus.PENDING if next_attempt_at is not None else CallbackStatus.FAILED
    return _settle(conn, claimed, status=status.value, last_error=error[:tables.ERROR_CHARS_MAX],
                   **({"next_attempt_at": iso_utc(next_attempt_at)} if next_attempt_at is not None else {}))


def callback_for(conn: Connection, inquiry_id: str) -> Callback | None:
    """The inquiry's callback row, or None."""
    row = conn.execute(select(tables.callbacks).where(tables.callbacks.c.inquiry_id == inquiry_id)).mappings().first()
    return None if row is None else _callback(row)


def _settle(conn: Connection, claimed: Callback, **values: str) -> bool:
    c = tables.callbacks.c
    changed = conn.execute(update(tables.callbacks)
                           .where(c.callback_id == claimed.callback_id, c.attempts == claimed.attempts,
                                  c.status == CallbackStatus.PENDING.value)
                           .values(attempts=claimed.attempts + 1, **values)).rowcount
    return bool(changed == 1)


def _callback(r: RowMapping) -> Callback:
    return Callback(r["callback_id"], r["inquiry_id"], r["url"], r["body"], CallbackStatus(r["status"]),
                    int(r["attempts"]), r["next_attempt_at"], r["delivered_at"], r["last_error"])
