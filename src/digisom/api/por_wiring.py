"""Wiring of proof of reserves: its table, and the routes' slots; the chain reader, where a
chain is configured, is `api.por_chain.ChainHolderBalances` (reserve balances at a block
from the token's `Transfer` logs, cross-checked with `balanceOf` at the head; docs/por.md)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from sqlalchemy import Engine

from digisom.http.services import provide
from digisom.por import migrations
from digisom.por.http.slots import POR_CHAIN, POR_DB, POR_NOW
from digisom.por.reserves import HolderBalances


def attach(app: FastAPI, engine: Engine, now_iso: Callable[[], str], chain: HolderBalances | None) -> None:
    """Migrate the published-roots table and fill the routes' slots (`chain` None: reserves
    are published as not checked)."""
    migrations.migrate(engine)
    provide(app, POR_DB, engine)
    provide(app, POR_NOW, now_iso)
    provide(app, POR_CHAIN, chain)
