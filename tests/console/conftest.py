"""Fixtures for the console tests: the API's runtime with the console mounted, the
world of tests/api, and the treasury's pensions programme."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digisom.api.runtime import Runtime, build
from digisom.console.app import mount
from tests.api.disbursement_fakes import FakeResolver
from tests.api.test_disbursement import treasury_world
from tests.api.world import World


@pytest.fixture
def resolver() -> FakeResolver:
    return FakeResolver()


@pytest.fixture
def runtime(tmp_path: Path, resolver: FakeResolver) -> Iterator[Runtime]:
    built = build(data_dir=tmp_path / "data", alias_resolver=resolver)
    mount(built.app, built.issuer.key)
    yield built
    built.close()


@pytest.fixture
def world(runtime: Runtime) -> World:
    return World.create(runtime).setup()


@pytest.fixture
def treasury(world: World, resolver: FakeResolver) -> World:
    return treasury_world(world, resolver)
