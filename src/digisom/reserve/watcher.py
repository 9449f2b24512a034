"""The reserve observer as a background worker of `digisom serve`: every `every_s` seconds
it syncs each policy asset at the reserve wallet (`Observer.sync`: reads the chain's logs up
to its head, holds new moves, posts those deep enough, voids those a re-org removed). A
failed round is logged and retried on the next; the books never move on a guess."""

from __future__ import annotations

import logging
import threading
from typing import Final

from digisom.reserve.bitcoin_observer import BitcoinObserver, BitcoinReport
from digisom.reserve.errors import BitcoinUnavailable
from digisom.reserve.observer import Observer, SyncReport
from digisom.reserve.policy import Policy

LOG: Final = logging.getLogger("digisom.reserve.watcher")
STOP_TIMEOUT_S: Final = 10.0


class ReserveWatcher:
    """One thread that keeps the books of `policy`'s wallet equal to the chain."""

    def __init__(self, observer: Observer | None, policy: Policy, every_s: float,
                 bitcoin: BitcoinObserver | None = None) -> None:
        self._observer = observer
        self._bitcoin = bitcoin
        self._policy = policy
        self._every_s = every_s
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

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
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="reserve-observer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.round()
            except Exception:  # a node down or a refused posting: logged, the next round retries
                LOG.exception("reserve observer round failed")
            self._stopping.wait(self._every_s)
