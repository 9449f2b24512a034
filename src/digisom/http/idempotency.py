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
from dataclasses import dataclass
from typing import Annotated, Final, Protocol

from fastapi import Header, Request, Response
from pydantic import BaseModel

from digisom.http.problems import ApiProblem, domain_problem
from digisom.http.services import Slot, provided
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


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """The first response to a (caller, key), as stored."""

    fingerprint: str
    status_code: int
    content_type: str
    body: str


class ResponseReader(Protocol):
    """Stored responses, read only."""

    def get(self, principal: str, key: str) -> StoredResponse | None:
        """The stored response for (principal, key), or None."""
        ...


class ResponseStore(ResponseReader, Protocol):
    """Where stored responses live (durably: the composition root wires a table)."""

    def put(self, principal: str, key: str, response: StoredResponse) -> bool:
        """Store `response`; False if one was stored first for (principal, key)."""
        ...


RESPONSES: Final = Slot[ResponseStore]("idempotency.responses")


def fingerprint(request: Request, body: BaseModel | None) -> str:
    """A digest of what the request asks: method, path and the parsed body."""
    canonical = json.dumps(body.model_dump(mode="json") if body is not None else None, sort_keys=True)
    return hashlib.sha256(f"{request.method}\n{request.url.path}\n{canonical}".encode()).hexdigest()


def idempotent(
    request: Request, actor: Actor, key: str, body: BaseModel | None, produce: Callable[[], Response]
) -> Response:
    """Replay the stored response for (actor, key), or produce, store and return one."""
    store = provided(request, RESPONSES)
    digest = fingerprint(request, body)
    stored = store.get(actor.principal, key)
    if stored is not None:
        return _replay(stored, digest)
    try:
        response = produce()
    except DomainError as error:
        if not error.stored_with_key:
            raise  # the exception handler answers; the key stays free for a retry
        response = domain_problem(error)
    if response.status_code >= 500:
        return response
    first = StoredResponse(digest, response.status_code, response.media_type or "application/json",
                           bytes(response.body).decode())
    if not store.put(actor.principal, key, first):
        # A concurrent request with the same key stored first; answer as it did.
        stored = store.get(actor.principal, key)
        if stored is not None:
            return _replay(stored, digest)
    return response


def _replay(stored: StoredResponse, digest: str) -> Response:
    if stored.fingerprint != digest:
        raise ApiProblem(
            422, "idempotency-key-reused", "Idempotency key reused",
            "this Idempotency-Key was used for another request; use a new key",
        )
    return Response(stored.body, status_code=stored.status_code, media_type=stored.content_type,
                    headers={REPLAYED_HEADER: "true"})
