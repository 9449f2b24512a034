"""The idempotency keys' stored responses (`digisom.http.idempotency.ResponseStore`), kept
in the digital som's `cbdc_idempotency_keys` table, whose migrations made it first."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from digisom.cbdc import repository
from digisom.http.idempotency import StoredResponse


class TableResponseStore:
    """Stored responses in the database; the primary key refuses a second response."""

    def __init__(self, engine: Engine, now_iso: Callable[[], str]) -> None:
        self._engine = engine
        self._now_iso = now_iso

    def get(self, principal: str, key: str) -> StoredResponse | None:
        with self._engine.connect() as conn:
            row = repository.get_idempotent(conn, principal, key)
        if row is None:
            return None
        return StoredResponse(row.fingerprint, row.status_code, row.content_type, row.body)

    def put(self, principal: str, key: str, response: StoredResponse) -> bool:
        try:
            with self._engine.begin() as conn:
                repository.put_idempotent(conn, principal, key, response.fingerprint, response.status_code,
                                          response.content_type, response.body, self._now_iso())
        except IntegrityError:
            return False
        return True
