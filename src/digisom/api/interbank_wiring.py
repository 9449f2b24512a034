"""Wiring of the RTGS into the API process: a bank's settlement account is its reserve
account of the digital som, and the RTGS is built on its first use."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI
from sqlalchemy import Engine

from digisom.cbdc.accounts import AccountCode, account, bank_account_id
from digisom.http.services import Lazy, provide
from digisom.interbank.context import RtgsContext
from digisom.interbank.http.slots import RTGS
from digisom.interbank.rtgs import Rtgs
from digisom.kernel.clock import utc_now
from digisom.ledger.model import Account
from digisom.ledger.service import Ledger
from digisom.stores.url import engine_store_url, open_store


def cbdc_settlement_account(bank_code: str) -> Account:
    """A bank's settlement account is its reserve account of the digital som."""
    return account(bank_account_id(bank_code, AccountCode.BANK_RESERVE), AccountCode.BANK_RESERVE)


def build_rtgs(
    engine: Engine, ledger_url: str, clock: Callable[[], datetime] = utc_now
) -> tuple[Rtgs, Callable[[], None]]:
    """The RTGS on `engine`'s database with its own ledger writer on `ledger_url`, and
    what closes that writer. (A second writer is safe: the ledger drops its caches when
    another writer committed in between.)"""
    store = open_store(ledger_url)
    ctx = RtgsContext(engine=engine, ledger=Ledger(store), settlement_account=cbdc_settlement_account, clock=clock)
    return Rtgs(ctx), store.close


def attach(app: FastAPI, engine: Engine, clock: Callable[[], datetime] = utc_now) -> None:
    """Let `app` build its RTGS on first use (on `engine`, the digital som's database, on
    the process's `clock`), and close its ledger writer at shutdown."""
    built = Lazy(lambda: build_rtgs(engine, engine_store_url(engine), clock))
    provide(app, RTGS, built)
    app.router.on_shutdown.append(built.close)
