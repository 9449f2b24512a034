"""The reserve observer as a background worker of `digisom serve`: every `every_s` seconds
it syncs each policy asset at the reserve wallet (`Observer.sync`: reads the chain's logs up
to its head, holds new moves, posts those deep enough, voids those a re-org removed). A
failed round is logged and retried on the next; the books never move on a guess."""

from __future__ import annotations

import logging
import threading
from typing import Final

from digisom.reserve.observer import Observer, SyncReport
from digisom.reserve.policy import Policy

LOG: Final = logging.getLogger("digisom.reserve.watcher")
STOP_TIMEOUT_S: Final = 10.0


class ReserveWatcher:
    """One thread that keeps the books of `policy`'s wallet equal to the chain."""

    def __init__(self, observer: Observer, policy: Policy, every_s: float) -> None:
        self._observer = observer
        self._policy = policy
        self._every_s = every_s
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def round(self) -> dict[str, SyncReport]:
        """One sync of every asset (what the thread runs; tests call it directly)."""
        return {asset.symbol: self._observer.sync(asset, self._policy.wallet)
                for asset in self._policy.assets.values()}

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
