"""`/v1/tokens/revocations`: revoking bearer tokens over the API, and the list of what is
revoked (`digisom.http.revocations`; `digisom token revoke` does the same from the CLI).

The central bank revokes a token by its id, or every token of a subject issued up to now
(at one bank, or at any). A bank operator may cut off its own bank's tokens of a subject
only: the cut-off is pinned to its bank, so it can never touch a token of another bank
or a token naming no bank (the central bank's, an auditor's, a registrar's...).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal, Self

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, model_validator

from digisom.http.auth import BANK_CODE_CHARS_MAX, SUBJECT_CHARS_MAX
from digisom.http.fields import Input, PlainText
from digisom.http.idempotency import IdempotencyKey, idempotent
from digisom.http.pagination import PAGE_LIMIT_DEFAULT, Cursor, Limit, decode_cursor, offset_cursor
from digisom.http.permissions import BANK, Authorize
from digisom.http.problems import ApiProblem
from digisom.http.render import READ_PROBLEMS, WRITE_PROBLEMS, json
from digisom.http.revocations import TOKEN_REVOCATIONS, Cutoff, RevocationStore, RevokedToken
from digisom.http.services import provided
from digisom.http.tables import REASON_CHARS_MAX
from digisom.kernel.access import Actor


class RevocationIn(Input):
    """Revoke one token by its `jti`, or every token of `subject` (at `bank_code`, or at
    any bank) issued up to now; with a `reason`."""

    jti: Annotated[str | None, Field(pattern=r"^[0-9a-f]{32}$")] = None
    subject: Annotated[PlainText | None, Field(min_length=1, max_length=SUBJECT_CHARS_MAX)] = None
    bank_code: Annotated[PlainText | None, Field(min_length=1, max_length=BANK_CODE_CHARS_MAX)] = None
    reason: Annotated[PlainText, Field(min_length=1, max_length=REASON_CHARS_MAX)]

    @model_validator(mode="after")
    def one_target(self) -> Self:
        """Exactly one of `jti` and `subject`; a bank only with a subject."""
        if (self.jti is None) == (self.subject is None):
            raise ValueError("give exactly one of jti, subject")
        if self.bank_code is not None and self.subject is None:
            raise ValueError("bank_code goes with subject")
        return self


class RevocationOut(BaseModel):
    """A revocation: of one token (`kind` token, its `jti`) or of a subject's tokens issued
    before `issued_before` (`kind` subject; `bank_code` null: at any bank). Kept until
    `expires_at`, when no token it revokes can still be valid."""

    kind: Literal["token", "subject"]
    jti: str | None = None
    subject: str | None = None
    bank_code: str | None = None
    issued_before: datetime | None = None
    revoked_at: datetime
    expires_at: datetime
    reason: str
    revoked_by: str


class RevocationPage(BaseModel):
    """A page of the revocations in force, tokens and subjects together, newest first
    (`next_cursor` null on the last)."""

    items: list[RevocationOut]
    next_cursor: str | None


def _time(at_s: int) -> datetime:
    return datetime.fromtimestamp(at_s, UTC)


def token_out(row: RevokedToken) -> RevocationOut:
    """A revoked token as the API shows it."""
    return RevocationOut(kind="token", jti=row.jti, subject=row.subject, revoked_at=_time(row.revoked_at_s),
                         expires_at=_time(row.expires_at_s), reason=row.reason, revoked_by=row.revoked_by)


def cutoff_out(row: Cutoff) -> RevocationOut:
    """A subject's cut-off as the API shows it."""
    return RevocationOut(kind="subject", subject=row.subject, bank_code=row.bank_code,
                         issued_before=_time(row.issued_before_s), revoked_at=_time(row.revoked_at_s),
                         expires_at=_time(row.expires_at_s), reason=row.reason, revoked_by=row.revoked_by)


def revocations(request: Request) -> RevocationStore:
    """The revocation store the composition root wired."""
    return provided(request, TOKEN_REVOCATIONS)


def scoped_bank(actor: Actor, body: RevocationIn) -> str | None:
    """The bank a cut-off applies to: a bank operator's own (a 403 problem for a token id,
    which it cannot scope, or another bank), else the body's (None: every bank)."""
    if actor.role is not BANK:
        return body.bank_code
    if body.jti is not None or body.bank_code not in (None, actor.bank_code):
        raise ApiProblem(403, "forbidden", "Forbidden", "a bank revokes its own bank's tokens of a subject only")
    return actor.bank_code


def _revoke(store: RevocationStore, actor: Actor, body: RevocationIn, bank_code: str | None) -> RevocationOut:
    if body.subject is None:
        return token_out(store.revoke_token(str(body.jti), body.reason, actor.principal))
    return cutoff_out(store.cut_off(body.subject, bank_code, body.reason, actor.principal))


def router() -> APIRouter:
    """The token revocations' routes."""
    r = APIRouter(prefix="/v1/tokens/revocations", tags=["tokens"])

    @r.get("", response_model=RevocationPage, responses=READ_PROBLEMS)
    def list_revocations(request: Request,
                         actor: Annotated[Actor, Depends(Authorize("tokens.revocations.list"))],
                         cursor: Cursor = None, limit: Limit = PAGE_LIMIT_DEFAULT) -> Response:
        """The revocations in force, newest first, a page at a time (expired ones, which
        revoke nothing still valid, are left out)."""
        offset = decode_cursor(cursor)
        found = revocations(request).page(offset, limit)
        return json(RevocationPage(items=[token_out(x) if isinstance(x, RevokedToken) else cutoff_out(x)
                                          for x in found], next_cursor=offset_cursor(offset, limit, found)))

    @r.post("", response_model=RevocationOut, status_code=201, responses=WRITE_PROBLEMS)
    def revoke(request: Request, body: RevocationIn, key: IdempotencyKey,
               actor: Annotated[Actor, Depends(Authorize("tokens.revocations.create"))]) -> Response:
        """Revoke a token, or a subject's tokens issued up to now: refused (401) on every
        process of the server within `REVOCATIONS_REFRESH_S`."""
        bank_code = scoped_bank(actor, body)  # before the key is used: a refusal stores nothing
        return idempotent(request, actor, key, body,
                          lambda: json(_revoke(revocations(request), actor, body, bank_code), 201))

    return r
