"""`open_store(url)`: the one way the application and the tests open a ledger store."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import URL, Engine, make_url

from digisom.errors import DigisomError
from digisom.ledger.store import LedgerStore


class StoreUrlError(DigisomError):
    """A store URL this build cannot open."""


def open_store(url: str, *, project_behind: bool = False) -> LedgerStore:
    """Open (and migrate on first use) the store named by `url`.

    - `memory:` — in process memory, lost at exit;
    - `sqlite:///relative/file.db` or `sqlite:////absolute/file.db` — one SQLite file;
    - `postgresql://user@host:port/database` (or `postgres://`) — a PostgreSQL database;
      with several hosts, `postgresql://user@h1:p1,h2:p2,h3:p3/database?target_session_attrs=read-write`,
      the primary among them, found again after a failover (`digisom.stores.postgres`).

    `project_behind` (PostgreSQL only): commits leave the transfer rows to a projector
    (docs/adr/0012-transfer-projection.md).
    """
    scheme = urlsplit(url).scheme
    if project_behind and scheme not in ("postgresql", "postgres"):
        raise StoreUrlError(f"transfers are projected behind the commit on PostgreSQL only, not {scheme!r}")
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

        return PostgresStore(url, project_behind=project_behind)
    raise StoreUrlError(f"unknown store URL scheme {scheme!r} in {url!r}; use memory:, sqlite:/// or postgresql://")


def sqlalchemy_url(url: str) -> URL:
    """The SQLAlchemy URL (psycopg driver) of a `postgresql://` URL. SQLAlchemy does not
    parse libpq's `h1:p1,h2:p2` host list; it takes the hosts as repeated `host=h:p`
    query parameters instead."""
    parts = urlsplit(url)
    user, at, hosts = parts.netloc.rpartition("@")
    first, *others = hosts.split(",")
    single = make_url(urlunsplit(("postgresql+psycopg", user + at + first, parts.path, parts.query, "")))
    if not others:
        return single
    return single.set(host=None, port=None).update_query_pairs([("host", h) for h in (first, *others)], append=True)


def engine_store_url(engine: Engine) -> str:
    """The ledger store URL of the database behind `engine` (its host list, if several)."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{url.database}"
    hosts = url.query.get("host")
    rendered = url.set(drivername="postgresql").difference_update_query(["host"]).render_as_string(hide_password=False)
    if not isinstance(hosts, tuple):
        return url.set(drivername="postgresql").render_as_string(hide_password=False)
    parts = urlsplit(rendered)
    user, at, _first = parts.netloc.rpartition("@")
    return urlunsplit((parts.scheme, user + at + ",".join(hosts), parts.path, parts.query, ""))
