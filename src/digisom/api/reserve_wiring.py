"""The national crypto reserve wired in: its tables migrated, and its routes' slots filled.
Without a `ReserveSetup` (no policy, no custody wallet) the reads answer empty and the
writes 503."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy import Engine

from digisom.http.services import provide
from digisom.reserve import migrations
from digisom.reserve.books import Books
from digisom.reserve.custody import Custody
from digisom.reserve.http.slots import RESERVE_BOOKS, RESERVE_CUSTODY, RESERVE_DB, RESERVE_NOW_S, RESERVE_POLICY
from digisom.reserve.policy import Policy


@dataclass(frozen=True, slots=True)
class ReserveSetup:
    """A configured reserve: its policy, the wallet it governs, and its books (None: not kept here)."""

    policy: Policy
    custody: Custody
    books: Books | None = None


def attach(app: FastAPI, engine: Engine, clock: Callable[[], datetime], setup: ReserveSetup | None = None) -> None:
    migrations.migrate(engine)
    provide(app, RESERVE_DB, engine)
    provide(app, RESERVE_NOW_S, lambda: int(clock().timestamp()))
    provide(app, RESERVE_POLICY, setup.policy if setup else None)
    provide(app, RESERVE_CUSTODY, setup.custody if setup else None)
    provide(app, RESERVE_BOOKS, setup.books if setup else None)
