"""The reserve observer as a background worker of `digisom serve`: every `every_s` seconds
it syncs each policy asset at the reserve wallet (`Observer.sync`: reads the chain's logs up
to its head, holds new moves, posts those deep enough, voids those a re-org removed). A
failed round is logged and retried on the next; the books never move on a guess."""

from __future__ import annotations

import logging
from typing import Final

from digisom.kernel.periodic import Periodic
from digisom.reserve.bitcoin_observer import BitcoinObserver, BitcoinReport
from digisom.reserve.errors import BitcoinUnavailable
from digisom.reserve.observer import Observer, SyncReport
from digisom.reserve.policy import Policy

LOG: Final = logging.getLogger("digisom.reserve.watcher")


class ReserveWatcher:
    """One thread that keeps the books of `policy`'s wallet equal to the chain."""

    def __init__(self, observer: Observer | None, policy: Policy, every_s: float,
                 bitcoin: BitcoinObserver | None = None) -> None:
        self._observer = observer
        self._bitcoin = bitcoin
        self._policy = policy
        self._every_s = every_s
        self._thread: Periodic | None = None

    def round(self) -> dict[str, SyncReport | BitcoinReport]:
        """One sync of every asset, then one observation of every watched Bitcoin address
        (keyed "BTC:<address>"); what the thread runs, and tests call it directly."""
        reports: dict[str, SyncReport | BitcoinReport] = {}
        if self._observer is not None:
            for asset in self._policy.assets.values():
                reports[asset.symbol] = self._observer.sync(asset, self._policy.wallet)
        bitcoin = self._bitcoin
        for watched in self._policy.bitcoin:
            if bitcoin is None:
                break
            try:
                reports[f"BTC:{watched.address}"] = bitcoin.observe(watched)
            except BitcoinUnavailable as error:  # one unreadable address does not hold the others back
                LOG.warning("bitcoin %s not observed: %s", watched.address, error)
        return reports

    def start(self) -> None:
        """Run `round` every `every_s` seconds on a background thread (a failed round is
        logged and retried on the next)."""
        if self._thread is None:
            self._thread = Periodic("reserve-observer", self.round, self._every_s, LOG)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._thread.stop()
            self._thread = None
