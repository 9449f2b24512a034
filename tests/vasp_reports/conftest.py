"""A migrated database (SQLite, and PostgreSQL where marked) and the volume reports on it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

from digisom.api.runtime import domain_engine
from digisom.vasp_reports import migrations
from digisom.vasp_reports.service import VaspReports
from tests.vasp_reports.helpers import NOW, Registers


class Clock:
    """A wall clock the test moves."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else f"sqlite:///{tmp_path}/r.db"
    built = domain_engine(url)
    migrations.migrate(built)
    yield built
    built.dispose()


@pytest.fixture
def registers() -> Registers:
    return Registers()


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def service(engine: Engine, registers: Registers, clock: Clock) -> VaspReports:
    return VaspReports(engine, registers.licences, registers.assets, clock)
