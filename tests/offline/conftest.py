"""Fixtures shared by the offline ledger-integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.offline.ledger_world import LedgerWorld


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LedgerWorld]:
    """An offline world on a real ledger and database, on SQLite and on PostgreSQL."""
    url = f"sqlite:///{tmp_path / 'offline.db'}"
    if request.param == "postgresql":
        url = request.getfixturevalue("postgres_url")
    built = LedgerWorld(url)
    yield built
    built.close()
