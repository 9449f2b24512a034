"""Fixtures: the domain's tables and a ledger store, on SQLite (tmp_path) or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from digisom.api.runtime import domain_engine
from digisom.disbursement.migrations import migrate
from digisom.ledger.service import Ledger
from digisom.ledger.store import LedgerStore
from digisom.stores.url import open_store


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def urls(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, str]:
    """(domain tables URL, ledger store URL): two SQLite files, or one PostgreSQL database."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        return url, url
    return f"sqlite:///{tmp_path / 'disbursement.db'}", f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture
def engine(urls: tuple[str, str]) -> Iterator[Engine]:
    """A migrated database for the domain's tables."""
    built = domain_engine(urls[0])
    migrate(built)
    try:
        yield built
    finally:
        built.dispose()


@pytest.fixture
def store(urls: tuple[str, str]) -> Iterator[LedgerStore]:
    """The ledger's store on the same backend."""
    opened = open_store(urls[1])
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture
def ledger(store: LedgerStore) -> Ledger:
    """A ledger writer on `store`."""
    return Ledger(store)
