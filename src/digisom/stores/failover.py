"""What a lost PostgreSQL primary looks like to the drivers, and how the domain's
SQLAlchemy engine reports it.

A primary is lost when its connection drops (the server crashed, was killed, or a
backend was terminated) or when it answers that it is read-only (a demoted primary, or
a standby reached by mistake: SQLSTATE 25006). Either way the open transaction is gone,
so nothing of it was written, except a COMMIT whose answer was lost (`PostgresStore`
looks such a batch up). A new connection with `target_session_attrs=read-write` finds
the new primary among the URL's hosts.
"""

from __future__ import annotations

from typing import Any, Final

import psycopg
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy import URL, Engine, event

from digisom.ledger.store import StoreUnavailable

# libpq waits this long for each host of a multi-host URL before it tries the next: a
# stopped (partitioned) server accepts TCP but never answers. 2 s is libpq's minimum.
CONNECT_TIMEOUT_S: Final = 2
LOST: Final = (psycopg.OperationalError, psycopg.errors.ReadOnlySqlTransaction)


def is_lost(error: BaseException) -> bool:
    """Whether `error` means the primary was lost (see the module's docstring)."""
    return isinstance(error, LOST)


def connect_kwargs(url: str) -> dict[str, Any]:
    """Connection options that `url` does not set itself: a per-host connect timeout."""
    return {} if "connect_timeout" in conninfo_to_dict(url) else {"connect_timeout": CONNECT_TIMEOUT_S}


def with_connect_timeout(url: URL) -> URL:
    """The SQLAlchemy `url` with a per-host connect timeout, if it has none: in the URL
    itself, so that engines made from `engine.url` (the advisory locks') have it too."""
    return url if "connect_timeout" in url.query else url.update_query_dict({"connect_timeout": str(CONNECT_TIMEOUT_S)})


def report_lost_primary(engine: Engine) -> None:
    """Make `engine` raise `StoreUnavailable` (a 503 at the API) instead of the driver's
    error when the primary is lost, and drop its pooled connections, so the next
    checkout connects to the new primary. The transaction that failed is rolled back by
    the server (its connection is gone, or it was refused), so nothing is half-written."""

    @event.listens_for(engine, "handle_error")
    def _lost(context: Any) -> None:
        original = context.original_exception
        if is_lost(original):
            context.is_disconnect = True
            raise StoreUnavailable(f"the database primary is unavailable: {original}") from original
