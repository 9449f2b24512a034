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


def test_migration_4_keeps_the_aliases_and_lets_a_second_bank_register_the_number(database_url: str) -> None:
    engine = domain_engine(database_url)
    try:
        assert migrate(engine, up_to=3) == [1, 2, 3]  # a database from before migration 4
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO cbdc_wallets (id, operation_id, bank_code, holder_id, holder_kind, tier, status, "
                "created_at) VALUES ('w1', 'op', 'AYIL', 'h', 'individual', 0, 'active', 't0')"))
            conn.execute(text(
                "INSERT INTO cbdc_aliases (personal_number, bank_code, wallet_id, bank_account, created_at, "
                "updated_at) "
                "VALUES ('21204199000123', 'AYIL', 'w1', NULL, 't1', 't2'), "
                "('11503198500077', 'BAKAI', NULL, 'KG1', 't3', 't3')"))
        assert migrate(engine) == [4]
        assert "cbdc_aliases" not in inspect(engine).get_table_names()
        with engine.begin() as conn:
            moved = conn.execute(text(
                "SELECT personal_number, bank_code, wallet_id, bank_account, created_at, updated_at "
                "FROM cbdc_alias_registrations ORDER BY seq")).all()
            assert [tuple(r) for r in moved] == [
                ("21204199000123", "AYIL", "w1", None, "t1", "t2"),
                ("11503198500077", "BAKAI", None, "KG1", "t3", "t3"),
            ]
            conn.execute(text(
                "INSERT INTO cbdc_alias_registrations (personal_number, bank_code, wallet_id, bank_account, "
                "created_at, updated_at) VALUES ('21204199000123', 'BAKAI', NULL, 'KG2', 't4', 't4')"))
    finally:
        engine.dispose()
