"""The stored responses behind idempotency keys (`idempotency.ResponseStore`), in the HTTP
layer's own table; the primary key refuses a second response to one (caller, key)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, and_, select
from sqlalchemy.exc import IntegrityError

from digisom.http.idempotency import ResponseReader, StoredResponse
from digisom.http.tables import idempotency_keys as keys
from digisom.kernel.db_errors import reraise_unless_unique


class TableResponseStore:
    """Responses in `http_idempotency_keys`. `earlier` (read only) answers for keys this
    table does not hold: responses a previous release stored elsewhere, so a client that
    retries across an upgrade still gets its first answer."""

    def __init__(self, engine: Engine, now_iso: Callable[[], str], earlier: ResponseReader | None = None) -> None:
        self._engine = engine
        self._now_iso = now_iso
        self._earlier = earlier

    def get(self, principal: str, key: str) -> StoredResponse | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(keys).where(and_(keys.c.principal == principal, keys.c.key == key))).first()
        if row is not None:
            return StoredResponse(row.fingerprint, row.status_code, row.content_type, row.body)
        return self._earlier.get(principal, key) if self._earlier is not None else None

    def put(self, principal: str, key: str, response: StoredResponse) -> bool:
        if self._earlier is not None and self._earlier.get(principal, key) is not None:
            return False  # answered before the upgrade: that answer stands
        try:
            with self._engine.begin() as conn:
                conn.execute(keys.insert().values(
                    principal=principal, key=key, fingerprint=response.fingerprint,
                    status_code=response.status_code, content_type=response.content_type, body=response.body,
                    created_at=self._now_iso()))
        except IntegrityError as error:
            reraise_unless_unique(error)
            return False
        return True
