"""`/v1/console/sessions`: the console's live sign-in sessions over the API, and ending a
subject's sessions (the central bank; auditors read). The console's own sessions page and
`digisom console sessions` do the same through `SessionStore`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, StrictBool

from digisom.console.sessions import SESSIONS, SessionRecord, SessionStore, end_subject
from digisom.console.tables import REASON_CHARS_MAX
from digisom.http.auth import SUBJECT_CHARS_MAX
from digisom.http.fields import Input, PlainText
from digisom.http.idempotency import IdempotencyKey, idempotent
from digisom.http.pagination import PAGE_LIMIT_DEFAULT, Cursor, Limit, decode_cursor, offset_cursor
from digisom.http.permissions import Authorize
from digisom.http.render import READ_PROBLEMS, WRITE_PROBLEMS, json
from digisom.http.revocations import TOKEN_REVOCATIONS
from digisom.http.services import provided
from digisom.kernel.access import Actor


class SessionOut(BaseModel):
    """A live console session: who, since when, until when (never its id)."""

    subject: str
    role: str
    bank_code: str | None
    created_at: datetime
    expires_at: datetime


class SessionsOut(BaseModel):
    """A page of the live console sessions, by subject (`next_cursor` null on the last)."""

    sessions: list[SessionOut]
    next_cursor: str | None


class RevocationIn(Input):
    """End every live console session of `subject`, for `reason`; with `tokens`, also
    revoke every API token of the subject issued up to now, at any bank."""

    subject: Annotated[PlainText, Field(min_length=1, max_length=SUBJECT_CHARS_MAX)]
    reason: Annotated[PlainText, Field(min_length=1, max_length=REASON_CHARS_MAX)]
    tokens: StrictBool = False


class RevocationOut(BaseModel):
    """How many live sessions ended (0 when none was left: revoking again is no error), and
    whether the subject's API tokens were revoked too."""

    revoked: int
    tokens_revoked: bool


def session_out(record: SessionRecord) -> SessionOut:
    """A row as the API shows it."""
    return SessionOut(subject=record.subject, role=record.role, bank_code=record.bank_code,
                      created_at=datetime.fromtimestamp(record.created_at_s, UTC),
                      expires_at=datetime.fromtimestamp(record.expires_at_s, UTC))


def sessions(request: Request) -> SessionStore:
    """The console's session store the composition root wired."""
    return provided(request, SESSIONS)


def router() -> APIRouter:
    """The console sessions' routes."""
    r = APIRouter(prefix="/v1/console/sessions", tags=["console"])

    @r.get("", response_model=SessionsOut, responses=READ_PROBLEMS)
    def list_sessions(request: Request,
                      actor: Annotated[Actor, Depends(Authorize("console.sessions.list"))],
                      cursor: Cursor = None, limit: Limit = PAGE_LIMIT_DEFAULT) -> Response:
        """The live console sessions, by subject, oldest first, a page at a time (a session
        begun or ended while you page may move the later pages by one)."""
        offset = decode_cursor(cursor)
        found = sessions(request).active(offset, limit)
        return json(SessionsOut(sessions=[session_out(r) for r in found],
                                next_cursor=offset_cursor(offset, limit, found)))

    @r.post("/revocations", response_model=RevocationOut, responses=WRITE_PROBLEMS)
    def revoke(request: Request, body: RevocationIn, key: IdempotencyKey,
               actor: Annotated[Actor, Depends(Authorize("console.sessions.revoke"))]) -> Response:
        """End every live console session of a subject: its next console request is the
        sign-in page. With `tokens`, the subject's API tokens stop working too (within the
        API's revocation refresh interval)."""
        return idempotent(request, actor, key, body, lambda: json(RevocationOut(
            revoked=end_subject(sessions(request), provided(request, TOKEN_REVOCATIONS), body.subject, body.reason,
                                actor.principal, tokens=body.tokens),
            tokens_revoked=body.tokens)))

    return r
