"""One background thread that runs a round every so many seconds until stopped: the
serve-time workers (the reserve observer, the log's checkpoints) share it. A failed round
is logged and the next one retries; stopping waits for the round in progress."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Final

STOP_TIMEOUT_S: Final = 10.0


class Periodic:
    """Runs `one_round` on a daemon thread named `name` every `every_s` seconds (the first at once)."""

    def __init__(self, name: str, one_round: Callable[[], object], every_s: float, log: logging.Logger) -> None:
        if every_s <= 0:
            raise ValueError("a period is positive")
        self._name = name
        self._round = one_round
        self._every_s = every_s
        self._log = log
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds = 0  # completed rounds (tests and the operator's metrics read it)

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._round()
                self.rounds += 1
            except Exception:  # a node down, a database blip: logged, the next round retries
                self._log.exception("%s: round failed", self._name)
            self._stopping.wait(self._every_s)
