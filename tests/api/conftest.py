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
