"""Fixtures: the domain's tables on SQLite (tmp_path) or PostgreSQL, and the test directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from digisom.api.runtime import domain_engine
from digisom.disbursement.migrations import migrate


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database for the domain's tables, on each backend."""
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{tmp_path / 'disbursement.db'}"
    built = domain_engine(url)
    migrate(built)
    try:
        yield built
    finally:
        built.dispose()
