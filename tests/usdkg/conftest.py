"""USDKG fixtures: a world on SQLite and one on PostgreSQL, and the API over two fake chains."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digisom.api.runtime import build, domain_engine
from tests.api.world import World as ApiWorld
from tests.usdkg.api_world import FakeChain, FakeHolders, UsdkgApi
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


@pytest.fixture
def api(tmp_path: Path) -> Iterator[UsdkgApi]:
    """USDKG through the API on two fake chains (ids 1 and 56) and their holder index, signers registered."""
    chains = {1: FakeChain(1), 56: FakeChain(56)}
    runtime = build(data_dir=tmp_path / "data", usdkg_chains=chains, usdkg_holders=FakeHolders(chains))
    driver = UsdkgApi(ApiWorld.create(runtime), chains)
    driver.register_signers()
    yield driver
    runtime.close()
