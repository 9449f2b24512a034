"""The national crypto reserve wired in: its tables migrated, and its routes' slots filled.
Without a `ReserveSetup` (no policy, no custody wallet) the reads answer empty and the
writes 503."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy import Engine

from digisom.http.services import provide
from digisom.kernel.gateway import LedgerWriter
from digisom.reserve import migrations
from digisom.reserve.bitcoin_balances import BitcoinBalances
from digisom.reserve.bitcoin_observer import BitcoinObserver
from digisom.reserve.books import Books
from digisom.reserve.chain_reads import ChainAtBlock
from digisom.reserve.custody import Custody
from digisom.reserve.http.slots import (
    RESERVE_BITCOIN,
    RESERVE_BOOKS,
    RESERVE_CUSTODY,
    RESERVE_DB,
    RESERVE_NOW_S,
    RESERVE_POLICY,
    RESERVE_PRICES,
    RESERVE_READER,
)
from digisom.reserve.observer import ChainLogs, Observer
from digisom.reserve.policy import Policy
from digisom.reserve.prices import Prices
from digisom.reserve.watcher import ReserveWatcher


@dataclass(frozen=True, slots=True)
class ReserveSetup:
    """A configured reserve: its policy, the wallet it governs, and its books (None: not kept here);
    the price port that values holdings, the Bitcoin balance port of the watched addresses, and
    the chain reader that re-checks publications (each None: not available here)."""

    policy: Policy
    custody: Custody
    books: Books | None = None
    prices: Prices | None = None
    bitcoin: BitcoinBalances | None = None
    reader: ChainAtBlock | None = None
    # The observer worker: the chain it reads logs from (and `bitcoin`, the watched addresses'
    # balances), every `observe_every_s` (None: not run here).
    chain: ChainLogs | None = None
    observe_every_s: float | None = None
    confirmations: int = 1


def with_books(setup: ReserveSetup | None, ledger: LedgerWriter) -> ReserveSetup | None:
    """The setup with its books on the runtime's `ledger`, unless it brings its own."""
    if setup is None or setup.books is not None:
        return setup
    return replace(setup, books=Books(ledger))


def attach(app: FastAPI, engine: Engine, clock: Callable[[], datetime], setup: ReserveSetup | None = None) -> None:
    """Fill the slots; start the observer worker with the app (and stop it with the app) when the
    setup asks for one."""
    migrations.migrate(engine)
    provide(app, RESERVE_DB, engine)
    provide(app, RESERVE_NOW_S, lambda: int(clock().timestamp()))
    provide(app, RESERVE_POLICY, setup.policy if setup else None)
    provide(app, RESERVE_CUSTODY, setup.custody if setup else None)
    provide(app, RESERVE_BOOKS, setup.books if setup else None)
    provide(app, RESERVE_PRICES, setup.prices if setup else None)
    provide(app, RESERVE_BITCOIN, setup.bitcoin if setup else None)
    provide(app, RESERVE_READER, setup.reader if setup else None)
    if setup is not None and setup.books is not None and (setup.chain is not None or setup.bitcoin is not None):
        observer = None if setup.chain is None else Observer(engine, setup.books, setup.chain, setup.confirmations)
        bitcoin = None if setup.bitcoin is None else BitcoinObserver(setup.books, setup.bitcoin)
        watcher = ReserveWatcher(observer, setup.policy, setup.observe_every_s or 0.0, bitcoin)
        app.state.reserve_watcher = watcher
        if setup.observe_every_s:
            app.router.on_startup.append(watcher.start)
            app.router.on_shutdown.append(watcher.stop)


def observer_of(app: FastAPI) -> ReserveWatcher | None:
    """The app's reserve observer (None: no chain configured), for one round on demand."""
    found = getattr(app.state, "reserve_watcher", None)
    return found if isinstance(found, ReserveWatcher) else None
