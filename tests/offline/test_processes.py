"""Offline funding with several API processes on one PostgreSQL database: the
certificate's cumulative limit holds when two processes fund one device at once.
(Two `OfflineService`s on two engines stand for two processes: each has its own thread
lock, so only the database lock can keep them apart.)"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from digisom.api.runtime import domain_engine
from digisom.ledger.model import Transfer
from digisom.ledger.results import CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.offline.accounts import reserve_account_id
from digisom.offline.errors import OfflineError, Reason
from digisom.offline.service import OfflineService
from digisom.stores.url import open_store
from tests.offline.ledger_world import LedgerWorld

pytestmark = pytest.mark.postgres


class SlowLedger:
    """A ledger whose commits take a while, as under load: widens the window between a
    funding's limit check and its record, where two processes could both pass the check."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    def create_transfers(self, events: Sequence[Transfer]) -> list[CreateTransferResult]:
        time.sleep(0.05)
        return self._ledger.create_transfers(events)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ledger, name)


def test_two_processes_funding_one_device_keep_its_cumulative_limit(postgres_url: str) -> None:
    world = LedgerWorld(postgres_url)
    other_engine, other_store = domain_engine(postgres_url), open_store(postgres_url)
    try:
        device = world.device("aigerim", cumulative_max_tyiyn=1_000_000)
        wallet_id = world.service.device(device.device_id).wallet_id
        world.issue(world.wallets.wallet(wallet_id).account_id, 10_000_000, "top-up")
        one = OfflineService(world.engine, SlowLedger(world.ledger), world.wallets, world.clock)
        other = OfflineService(other_engine, SlowLedger(Ledger(other_store)), world.wallets, world.clock)
        services = [one, other] * 6

        def fund(number: int) -> str:
            try:
                services[number].fund(wallet_id, device.device_id, 300_000, f"race-{number}")
            except OfflineError as refused:
                return refused.reason.value
            return "funded"

        with ThreadPoolExecutor(len(services)) as pool:
            outcomes = list(pool.map(fund, range(len(services))))
        assert outcomes.count("funded") == 3, outcomes  # 3 x 300,000 fit under 1,000,000; a 4th does not
        assert outcomes.count(Reason.OVER_CUMULATIVE_LIMIT.value) == len(services) - 3
        assert world.balance(reserve_account_id(device.device_id)) == 900_000
    finally:
        other_engine.dispose()
        other_store.close()
        world.close()
