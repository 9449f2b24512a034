"""Wiring of the offline domain into the API process: the digital som as its
`WalletDirectory` (its payouts and returns credit wallets by `digisom.cbdc.credits`, the
rule for every credit), its own ledger writer on the same database, built on first use.

The offline domain must not import the digital som (another domain), so this entry
point adapts one to the other. The offline service writes through its own `Ledger` on
the database's store: every batch locks the journal head, so two writers in one
database are safe (each drops its caches when the other committed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from fastapi import FastAPI

from digisom.cbdc import accounts, credits, repository
from digisom.cbdc.accounts import AccountCode
from digisom.cbdc.context import Context
from digisom.cbdc.model import WalletStatus
from digisom.http.services import Lazy, provide
from digisom.kernel.credit_plans import CreditLeg, CreditPlan
from digisom.ledger.service import Ledger
from digisom.offline.http.slots import OFFLINE_SERVICE
from digisom.offline.migrations import migrate
from digisom.offline.ports import WalletCredit, WalletRef
from digisom.offline.service import OfflineService, wall_clock_s
from digisom.stores.url import engine_store_url, open_store


class OfflineWalletDirectory:
    """`WalletDirectory` over the digital som's wallets and bank floats."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def wallet(self, wallet_id: str) -> WalletRef | None:
        """The wallet's ledger account, bank and whether it may move value."""
        with self._ctx.engine.connect() as conn:
            found = repository.get_wallet(conn, wallet_id)
        if found is None:
            return None
        return WalletRef(
            found.id, accounts.wallet_account_id(found.id), found.bank_code, found.status is WalletStatus.ACTIVE
        )

    def held_wallets(self, wallet_ids: Sequence[str]) -> AbstractContextManager[None]:
        """The digital som's wallet locks, which freezing takes too (`cbdc.credits.held`)."""
        return credits.held(self._ctx, wallet_ids)

    def bank_float_account_id(self, bank_code: str) -> int:
        """The bank's digital som float: what pays the offline guarantee."""
        return accounts.bank_account_id(bank_code, AccountCode.BANK_FLOAT)

    def plan_credits(self, requested: Sequence[WalletCredit]) -> list[CreditPlan]:
        """Each payout's or return's legs by the digital som's rule for every credit."""
        plans = credits.plan_credits(self._ctx, [
            credits.CreditRequest(c.wallet_id, c.amount_tyiyn, c.debit_account_id, "offline reserve", c.code,
                                  c.waterfall_code)
            for c in requested
        ])
        return [plan.value if isinstance(plan, credits.CreditRefusal) else tuple(
            CreditLeg(leg.name, leg.debit_account_id, leg.credit_account_id, leg.amount_tyiyn, leg.code)
            for leg in plan.legs) for plan in plans]


@dataclass(frozen=True)
class OfflineRuntime:
    """The offline service and what it holds open."""

    service: OfflineService
    close: Callable[[], None]


def build_offline(ctx: Context, clock_s: Callable[[], int] = wall_clock_s) -> OfflineRuntime:
    """Migrate the offline tables and build the service over the digital som's database."""
    migrate(ctx.engine)
    store = open_store(engine_store_url(ctx.engine))
    service = OfflineService(ctx.engine, Ledger(store), OfflineWalletDirectory(ctx), clock_s)
    return OfflineRuntime(service, store.close)


def attach(app: FastAPI, ctx: Context) -> None:
    """Let `app` build its offline service on first use, and close it at shutdown."""

    def build() -> tuple[OfflineService, Callable[[], None]]:
        built = build_offline(ctx)
        return built.service, built.close

    lazy = Lazy(build)
    provide(app, OFFLINE_SERVICE, lazy)
    app.router.on_shutdown.append(lazy.close)
