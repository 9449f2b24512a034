"""Idempotency keys: every POST takes an `Idempotency-Key` header.

The first response to (caller, key) is stored durably with a fingerprint of the
request (method, path, parsed body). The same key with the same request again gets
the stored response replayed (`Idempotent-Replayed: true`); the same key with another
request gets 422 `idempotency-key-reused`. Beneath this, every domain operation
derives its ids from the key, so even a request whose response was never stored (a
crash) cannot pay twice when retried.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Annotated, Final

from fastapi import Header, Request, Response
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from digisom.api.problems import ApiProblem, domain_problem
from digisom.cbdc import repository
from digisom.kernel.access import Actor
from digisom.kernel.errors import DomainError

KEY_CHARS_MAX: Final = 128
KEY_PATTERN: Final = r"^[A-Za-z0-9._:\-]{1,128}$"
REPLAYED_HEADER: Final = "Idempotent-Replayed"

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key", min_length=1, max_length=KEY_CHARS_MAX, pattern=KEY_PATTERN,
        description="A unique key per operation (e.g. a UUID); a retry sends the same key and body.",
    ),
]


def fingerprint(request: Request, body: BaseModel | None) -> str:
    """A digest of what the request asks: method, path and the parsed body."""
    canonical = json.dumps(body.model_dump(mode="json") if body is not None else None, sort_keys=True)
    return hashlib.sha256(f"{request.method}\n{request.url.path}\n{canonical}".encode()).hexdigest()


def idempotent(
    request: Request, actor: Actor, key: str, body: BaseModel | None, produce: Callable[[], Response]
) -> Response:
    """Replay the stored response for (actor, key), or produce, store and return one."""
    engine: Engine = request.app.state.engine
    digest = fingerprint(request, body)
    with engine.connect() as conn:
        stored = repository.get_idempotent(conn, actor.principal, key)
    if stored is not None:
        return _replay(stored.fingerprint, digest, stored.status_code, stored.content_type, stored.body)
    try:
        response = produce()
    except DomainError as error:
        if not error.stored_with_key:
            raise  # the exception handler answers; the key stays free for a retry
        response = domain_problem(error)
    if response.status_code >= 500:
        return response
    body_text = bytes(response.body).decode()
    try:
        with engine.begin() as conn:
            repository.put_idempotent(
                conn, actor.principal, key, digest, response.status_code,
                response.media_type or "application/json", body_text, request.app.state.service.ctx.now_iso(),
            )
    except IntegrityError:
        # A concurrent request with the same key stored first; answer as it did.
        with engine.connect() as conn:
            stored = repository.get_idempotent(conn, actor.principal, key)
        if stored is not None:
            return _replay(stored.fingerprint, digest, stored.status_code, stored.content_type, stored.body)
    return response


def _replay(stored_digest: str, digest: str, status: int, content_type: str, body: str) -> Response:
    if stored_digest != digest:
        raise ApiProblem(
            422, "idempotency-key-reused", "Idempotency key reused",
            "this Idempotency-Key was used for another request; use a new key",
        )
    return Response(body, status_code=status, media_type=content_type, headers={REPLAYED_HEADER: "true"})
