"""A runtime with demo-like public data, shared by every portal test module (read only)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from digisom.api.runtime import Runtime, build
from tests.browser_support import axe, browser, page  # noqa: F401 - fixtures for the browser tests
from tests.portal.seed import Clock, publish_por_root, seed


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runtime]:
    clock = Clock()
    runtime = build(data_dir=tmp_path_factory.mktemp("portal") / "data", clock=clock)
    runtime.app.state.por_proof = publish_por_root(seed(runtime, clock))
    yield runtime
    runtime.close()


@pytest.fixture(scope="session")
def client(seeded: Runtime) -> TestClient:
    return TestClient(seeded.app)
