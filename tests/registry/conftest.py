"""A register on a fresh database of each dialect, signing with a fresh key."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine

from digisom.api.runtime import domain_engine
from digisom.registry import migrations
from digisom.registry.assets import AssetRegister
from digisom.registry.licensing import Licensing
from digisom.registry.log import EventLog

NOW = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else f"sqlite:///{tmp_path / 'r.db'}"
    built = domain_engine(url)
    migrations.migrate(built)
    yield built
    built.dispose()


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def log(engine: Engine, key: Ed25519PrivateKey) -> EventLog:
    return EventLog(engine, key, lambda: NOW)


@pytest.fixture
def assets(log: EventLog) -> AssetRegister:
    return AssetRegister(log)


@pytest.fixture
def licensing(log: EventLog) -> Licensing:
    return Licensing(log, lambda: NOW)
