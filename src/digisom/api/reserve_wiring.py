"""The national crypto reserve wired in: its tables migrated, and its routes' slots filled.
Without a policy and a custody wallet the reads answer empty and the writes 503."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy import Engine

from digisom.http.services import provide
from digisom.reserve import migrations
from digisom.reserve.books import Books
from digisom.reserve.custody import Custody
from digisom.reserve.http.slots import RESERVE_BOOKS, RESERVE_CUSTODY, RESERVE_DB, RESERVE_NOW_S, RESERVE_POLICY
from digisom.reserve.policy import Policy


def attach(app: FastAPI, engine: Engine, clock: Callable[[], datetime], policy: Policy | None = None,
           custody: Custody | None = None, books: Books | None = None) -> None:
    migrations.migrate(engine)
    provide(app, RESERVE_DB, engine)
    provide(app, RESERVE_NOW_S, lambda: int(clock().timestamp()))
    provide(app, RESERVE_POLICY, policy)
    provide(app, RESERVE_CUSTODY, custody)
    provide(app, RESERVE_BOOKS, books)
