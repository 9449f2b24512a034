"""The digital som's migrations: applied once, recorded, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from digisom.api.runtime import domain_engine
from digisom.cbdc.migrations import MIGRATIONS, migrate
from digisom.cbdc.tables import metadata


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    # Resolved in a fixture, not in the test body: fixtures set up mid-test upset other plugins' teardown.
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return f"sqlite:///{tmp_path / 'cbdc.db'}"


def test_migrations_apply_once_and_create_every_table(database_url: str) -> None:
    engine = domain_engine(database_url)
    try:
        assert migrate(engine) == [m.version for m in MIGRATIONS]
        assert migrate(engine) == []
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
        with engine.connect() as conn:
            versions = conn.execute(text("SELECT version FROM cbdc_schema_migrations ORDER BY version")).scalars()
            assert list(versions) == [m.version for m in MIGRATIONS]
    finally:
        engine.dispose()
