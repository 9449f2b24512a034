"""The idempotency responses of this process: the HTTP layer's table, and for keys stored
before it existed, the digital som's old `cbdc_idempotency_keys` (read only, and only
when it holds any rows, so a new installation pays nothing for it)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, func, select

from digisom.cbdc import repository
from digisom.cbdc import tables as cbdc_tables
from digisom.http.idempotency import ResponseStore, StoredResponse
from digisom.http.response_store import TableResponseStore


class EarlierCbdcResponses:
    """Responses the digital som's table stored before the HTTP layer had its own (read only)."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def get(self, principal: str, key: str) -> StoredResponse | None:
        with self._engine.connect() as conn:
            row = repository.get_idempotent(conn, principal, key)
        if row is None:
            return None
        return StoredResponse(row.fingerprint, row.status_code, row.content_type, row.body)

    def any(self) -> bool:
        """Whether the table holds any response at all."""
        with self._engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(cbdc_tables.idempotency_keys)).scalar_one() > 0


def response_store(engine: Engine, now_iso: Callable[[], str]) -> ResponseStore:
    """The store every route's idempotency keys use."""
    earlier = EarlierCbdcResponses(engine)
    return TableResponseStore(engine, now_iso, earlier if earlier.any() else None)
