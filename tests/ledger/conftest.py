"""Fixtures for the ledger contract suite: one `Ledger` per store kind, a settable clock."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from digisom.ledger.service import Ledger
from digisom.ledger.store import LedgerStore
from digisom.stores.url import open_store

STORE_KINDS = ["memory", "sqlite", "postgres"]


class Clock:
    """A clock the test moves by hand (nanoseconds)."""

    def __init__(self) -> None:
        self.now_ns = 1_700_000_000 * 10**9

    def __call__(self) -> int:
        return self.now_ns

    def advance(self, seconds: float) -> None:
        self.now_ns += int(seconds * 10**9)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def store_url(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A URL for a fresh, empty store of `kind`."""
    if kind == "memory":
        return "memory:"
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture(params=STORE_KINDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LedgerStore]:
    opened = open_store(store_url(request.param, tmp_path, request))
    yield opened
    opened.close()


@pytest.fixture
def ledger(store: LedgerStore, clock: Clock) -> Ledger:
    return Ledger(store, clock_ns=clock)


@pytest.fixture
def ids() -> Iterator[int]:
    """Fresh ids for a test: 1, 2, 3, ..."""
    return itertools.count(1)
