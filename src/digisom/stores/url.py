"""`open_store(url)`: the one way the application and the tests open a ledger store."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import Engine

from digisom.errors import DigisomError
from digisom.ledger.store import LedgerStore


class StoreUrlError(DigisomError):
    """A store URL this build cannot open."""


def open_store(url: str) -> LedgerStore:
    """Open (and migrate on first use) the store named by `url`.

    - `memory:` — in process memory, lost at exit;
    - `sqlite:///relative/file.db` or `sqlite:////absolute/file.db` — one SQLite file;
    - `postgresql://user@host:port/database` (or `postgres://`) — a PostgreSQL database.
    """
    scheme = urlsplit(url).scheme
    # Adapters are imported here so that a memory-only run never loads a database driver.
    if scheme == "memory":
        from digisom.stores.memory import MemoryStore  # noqa: PLC0415

        return MemoryStore()
    if scheme == "sqlite":
        from digisom.stores.sqlite import SqliteStore  # noqa: PLC0415

        path = url.removeprefix("sqlite:///")
        if path == url or not path:
            raise StoreUrlError(f"expected sqlite:///path/to/file.db, got {url!r}")
        return SqliteStore(path)
    if scheme in ("postgresql", "postgres"):
        from digisom.stores.postgres import PostgresStore  # noqa: PLC0415

        return PostgresStore(url)
    raise StoreUrlError(f"unknown store URL scheme {scheme!r} in {url!r}; use memory:, sqlite:/// or postgresql://")


def engine_store_url(engine: Engine) -> str:
    """The ledger store URL of the database behind `engine`."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{url.database}"
    return url.set(drivername="postgresql").render_as_string(hide_password=False)
