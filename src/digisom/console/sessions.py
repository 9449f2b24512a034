"""Console sessions on the server: one row per sign-in, so a session can be ended for good.

The sealed cookie (`digisom.console.session`) carries a random session id; the table
holds only its SHA-256, so a database reader (a backup, a replica) cannot replay it.
Every console request checks the row: it exists, has not expired (the token's `exp`) and
was not revoked. Sign-out revokes the row, so a copy of the cookie taken earlier is
refused afterwards; an operator ends sessions with `digisom console sessions revoke`.
The rows are in the platform's database, so a revocation holds in every process of
`digisom serve --workers N` at once. Expired rows are pruned at each sign-in.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from fastapi import FastAPI
from sqlalchemy import Engine, delete, func, insert, select, true, update
from sqlalchemy.sql import ColumnElement

from digisom.console import tables
from digisom.console.migrations import migrate
from digisom.errors import DigisomError
from digisom.http.auth import SUBJECT_CHARS_MAX
from digisom.http.revocations import RevocationStore
from digisom.http.services import Slot, provide
from digisom.kernel.access import Actor
from digisom.kernel.text import refuse_control_chars

# 256 random bits: never guessed, and its hash is all the database keeps.
SESSION_ID_BYTES: Final = 32
SIGNED_OUT: Final = "signed out"


class InvalidSessionRequest(DigisomError):
    """A revocation asked for with a bad subject or reason."""


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """A session's row (never its id: the table has only the id's hash)."""

    subject: str
    role: str
    bank_code: str | None
    created_at_s: int
    expires_at_s: int
    revoked_at_s: int | None
    revoked_reason: str | None


def id_sha256(session_id: str) -> str:
    """What the table keeps of a session id."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def checked_reason(reason: str) -> str:
    """`reason` stripped, or `InvalidSessionRequest` if it is empty, too long or holds control characters."""
    reason = reason.strip()
    if not 0 < len(reason) <= tables.REASON_CHARS_MAX:
        raise InvalidSessionRequest(f"a reason needs 1..{tables.REASON_CHARS_MAX} characters")
    try:
        return refuse_control_chars(reason)
    except ValueError as error:
        raise InvalidSessionRequest(f"reason: {error}") from None


def checked_subject(subject: str) -> str:
    """`subject` as a token carries it, or `InvalidSessionRequest`."""
    if not 0 < len(subject) <= SUBJECT_CHARS_MAX or subject != subject.strip():
        raise InvalidSessionRequest(f"a subject is 1..{SUBJECT_CHARS_MAX} characters with no surrounding spaces")
    return subject


class SessionStore:
    """The console's sessions in the platform's database (`console_sessions`)."""

    def __init__(self, engine: Engine, now_s: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._now_s = now_s

    def _now(self) -> int:
        return int(self._now_s())

    def _live(self) -> ColumnElement[bool]:
        t = tables.sessions
        return (t.c.revoked_at_s.is_(None)) & (t.c.expires_at_s > self._now())

    def open(self, actor: Actor, expires_at_s: int) -> str:
        """A new session of `actor` until `expires_at_s` (the token's `exp`); its id, for the
        cookie only. Prunes the expired rows first (an indexed delete)."""
        session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
        now = self._now()
        with self._engine.begin() as conn:
            conn.execute(delete(tables.sessions).where(tables.sessions.c.expires_at_s <= now))
            conn.execute(insert(tables.sessions).values(
                id_sha256=id_sha256(session_id), subject=actor.subject, role=actor.role.value,
                bank_code=actor.bank_code, created_at_s=now, expires_at_s=max(now, expires_at_s)))
        return session_id

    def live(self, session_id: str) -> SessionRecord | None:
        """The session's row if it exists, has not expired and was not revoked; else None."""
        with self._engine.begin() as conn:
            row = conn.execute(select(tables.sessions).where(
                (tables.sessions.c.id_sha256 == id_sha256(session_id)) & self._live())).first()
        return None if row is None else _record(row)

    def revoke(self, session_id: str, reason: str) -> bool:
        """End one session (sign-out); whether it was live. Revoking twice is no error."""
        return self._revoke(tables.sessions.c.id_sha256 == id_sha256(session_id), reason) > 0

    def revoke_subject(self, subject: str, reason: str) -> int:
        """End every live session of `subject`; how many there were."""
        return self._revoke(tables.sessions.c.subject == checked_subject(subject), reason)

    def revoke_all(self, reason: str) -> int:
        """End every live session; how many there were."""
        return self._revoke(true(), reason)

    def _revoke(self, which: ColumnElement[bool], reason: str) -> int:
        reason = checked_reason(reason)
        with self._engine.begin() as conn:
            # Only rows still live: a revoked session keeps its first time and reason.
            done = conn.execute(update(tables.sessions).where(which & self._live())
                                .values(revoked_at_s=self._now(), revoked_reason=reason))
        return int(done.rowcount)

    def active(self, offset: int = 0, limit: int | None = None) -> list[SessionRecord]:
        """The live sessions, by subject, oldest first (`limit` of them from `offset`; all by default)."""
        t = tables.sessions
        with self._engine.begin() as conn:
            rows = conn.execute(select(t).where(self._live()).order_by(t.c.subject, t.c.created_at_s, t.c.id_sha256)
                                .offset(offset).limit(limit)).all()
        return [_record(row) for row in rows]

    def prune(self) -> int:
        """Delete the expired rows, revoked or not (an expired session is refused anyway); how many."""
        with self._engine.begin() as conn:
            done = conn.execute(delete(tables.sessions).where(tables.sessions.c.expires_at_s <= self._now()))
        return int(done.rowcount)

    def count(self) -> int:
        """How many rows the table holds (live, revoked and not yet pruned)."""
        with self._engine.begin() as conn:
            return int(conn.execute(select(func.count()).select_from(tables.sessions)).scalar_one())


def _record(row: object) -> SessionRecord:
    m = row._mapping  # type: ignore[attr-defined]
    return SessionRecord(m["subject"], m["role"], m["bank_code"], m["created_at_s"], m["expires_at_s"],
                         m["revoked_at_s"], m["revoked_reason"])


SESSIONS: Final = Slot[SessionStore]("console.sessions")


def attach(app: FastAPI, engine: Engine) -> SessionStore:
    """Migrate the console's table on `engine` and give `app` its session store (the
    console, once mounted on `app`, reads it from the slot)."""
    migrate(engine)
    store = SessionStore(engine)
    provide(app, SESSIONS, store)
    return store


def end_subject(sessions: SessionStore, revocations: RevocationStore, subject: str, reason: str, revoked_by: str,
                *, tokens: bool) -> int:
    """End every live console session of `subject`; with `tokens`, also revoke every API
    token of the subject issued up to now, at any bank (the sessions' own tokens among
    them). How many sessions ended. Both writes are idempotent: a call stopped between
    them is finished by calling again."""
    ended = sessions.revoke_subject(subject, reason)
    if tokens:
        revocations.cut_off(subject, None, reason, revoked_by)
    return ended
