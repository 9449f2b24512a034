"""`reraise_unless_unique`: a unique or primary-key violation goes on to the handler that
takes it for a duplicate; a CHECK, NOT NULL or foreign-key violation, a rule the code
broke, is raised again as it was, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import CheckConstraint, Column, Engine, ForeignKey, Integer, MetaData, String, Table
from sqlalchemy.exc import IntegrityError

from digisom.api.runtime import domain_engine
from digisom.kernel.db_errors import is_unique_violation, reraise_unless_unique

metadata = MetaData()
owners = Table("owners", metadata, Column("id", Integer, primary_key=True, autoincrement=False))
items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("code", String(8), nullable=False, unique=True),
    Column("amount", Integer, nullable=False),
    Column("owner_id", Integer, ForeignKey("owners.id"), nullable=False),
    CheckConstraint("amount >= 0", name="items_amount"),
)
FIRST: dict[str, Any] = {"id": 1, "code": "a", "amount": 5, "owner_id": 1}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else f"sqlite:///{tmp_path}/t.db"
    built = domain_engine(url)  # foreign keys enforced on SQLite too
    metadata.create_all(built)
    with built.begin() as conn:
        conn.execute(owners.insert().values(id=1))
        conn.execute(items.insert().values(**FIRST))
    yield built
    built.dispose()


def _refused(engine: Engine, **changes: Any) -> IntegrityError:
    with pytest.raises(IntegrityError) as raised, engine.begin() as conn:
        conn.execute(items.insert().values({**FIRST, "id": 2, "code": "b", **changes}))
    return raised.value


@pytest.mark.parametrize("duplicate", [{"id": 1}, {"code": "a"}], ids=["primary key", "unique"])
def test_a_duplicate_key_goes_on_to_the_handler(engine: Engine, duplicate: dict[str, Any]) -> None:
    error = _refused(engine, **duplicate)
    assert is_unique_violation(error)
    reraise_unless_unique(error)  # returns: the caller handles its duplicate


@pytest.mark.parametrize("broken", [{"amount": -1}, {"amount": None}, {"owner_id": 9}],
                         ids=["check", "not null", "foreign key"])
def test_a_broken_rule_is_raised_again_as_it_was(engine: Engine, broken: dict[str, Any]) -> None:
    error = _refused(engine, **broken)
    assert not is_unique_violation(error)
    with pytest.raises(IntegrityError) as raised:
        reraise_unless_unique(error)
    assert raised.value is error
