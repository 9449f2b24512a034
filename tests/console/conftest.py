"""Fixtures for the console tests: the API's runtime with the console mounted, the
world of tests/api and the treasury's pensions programme, built once per module (a
world takes seconds to set up; each test uses its own ids, so they do not interfere)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from digisom.api.runtime import Runtime, build
from digisom.console.app import mount
from tests.api.disbursement_fakes import FakeResolver
from tests.api.test_disbursement import treasury_world
from tests.api.world import World
from tests.browser_support import axe, browser, page  # noqa: F401 - fixtures for the browser tests


@pytest.fixture(scope="module")
def resolver() -> FakeResolver:
    return FakeResolver()


@pytest.fixture(scope="module")
def runtime(tmp_path_factory: pytest.TempPathFactory, resolver: FakeResolver) -> Iterator[Runtime]:
    built = build(data_dir=tmp_path_factory.mktemp("console") / "data", alias_resolver=resolver)
    mount(built.app, built.issuer.key)
    yield built
    built.close()


@pytest.fixture(scope="module")
def treasury(runtime: Runtime, resolver: FakeResolver) -> World:
    return treasury_world(World.create(runtime).setup(), resolver)


@pytest.fixture(scope="module")
def world(treasury: World) -> World:
    return treasury
