"""Fixtures shared by the whole suite.

PostgreSQL: one throwaway server per test run (`postgres_server`), one fresh empty
database per test (`postgres_url`, or `postgres_databases()` for several). Without the
server binaries the PostgreSQL tests skip, except in CI (CI=true), where they fail: CI
must never pass by skipping them.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from typing import Final, NoReturn

import pytest

from digisom.devtools.postgres_server import PostgresUnavailable, TemporaryPostgres

_database_numbers = itertools.count(1)
# The session's server never crashes under a test: tests that kill PostgreSQL itself (the
# point-in-time restore, the Patroni failover) start their own servers with every durability
# default. Here flushing to disk only costs time: about 25 s to stop after 40 databases, and
# minutes after a whole run's.
SESSION_SERVER_SETTINGS: Final = {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL unavailable: {reason}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[TemporaryPostgres]:
    """One PostgreSQL server for the whole run, stopped and deleted at the end."""
    try:
        server = TemporaryPostgres(settings=SESSION_SERVER_SETTINGS)
        server.start()
    except PostgresUnavailable as error:
        _unavailable(str(error))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_databases(postgres_server: TemporaryPostgres) -> Callable[[], str]:
    """Makes fresh, empty databases on the session's server, for tests that need several."""

    def create() -> str:
        return postgres_server.create_database(f"test_{os.getpid()}_{next(_database_numbers)}")

    return create


@pytest.fixture
def postgres_url(postgres_databases: Callable[[], str]) -> str:
    """The URL of a fresh, empty database on the session's server."""
    return postgres_databases()
