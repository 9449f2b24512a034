"""Fixtures for the API tests: a runtime on a fresh SQLite data directory, and the world."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digisom.api.runtime import Runtime, build
from tests.api.world import World


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    built = build(data_dir=tmp_path / "data")
    yield built
    built.close()


@pytest.fixture
def world(runtime: Runtime) -> World:
    return World.create(runtime).setup()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_store_runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    db_url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    built = build(data_dir=tmp_path / "data", db_url=db_url)
    yield built
    built.close()


@pytest.fixture
def any_store_world(any_store_runtime: Runtime) -> World:
    return World.create(any_store_runtime).setup()
