"""USDKG fixtures: a world on SQLite and one on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digisom.api.runtime import domain_engine
from tests.usdkg.world import World


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    """A USDKG world on each database the issuer may run."""
    url = f"sqlite:///{tmp_path / 'usdkg.db'}"
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    engine = domain_engine(url)
    yield World(engine)
    engine.dispose()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A USDKG world on SQLite."""
    engine = domain_engine(f"sqlite:///{tmp_path / 'usdkg.db'}")
    yield World(engine)
    engine.dispose()
