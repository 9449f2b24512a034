"""The bridge's migrations: applied once, in order; the database itself refuses an unknown state."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from digisom.api.runtime import domain_engine
from digisom.stablecoin import migrations, repository
from digisom.stablecoin.model import Kind, Operation, State


def test_migrations_apply_once_and_constraints_hold(tmp_path: Path) -> None:
    engine = domain_engine(f"sqlite:///{tmp_path / 'bridge.db'}")
    try:
        assert migrations.migrate(engine) == [m.version for m in migrations.MIGRATIONS]
        assert migrations.migrate(engine) == []
        op = Operation("mint|k", Kind.MINT, State.REQUESTED, "pensioner", "0x" + "11" * 20, 100, 100,
                       created_at="t", updated_at="t")
        with engine.begin() as conn:
            repository.insert_operation(conn, "56:0xtoken", op)
        with pytest.raises(IntegrityError), engine.begin() as conn:
            repository.insert_operation(conn, "56:0xtoken", op)  # one row per operation id
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.exec_driver_sql("UPDATE stablecoin_operations SET state = 'minted'")  # not a state
    finally:
        engine.dispose()
