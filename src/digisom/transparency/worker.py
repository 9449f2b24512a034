"""The checkpoint worker of `digisom serve`: every `every_s` seconds one checkpoint (log
what was published and the journal's head, sign, anchor). The first round runs at start,
so a freshly served world has a signed head. A failed round (a chain node down) is logged
and retried on the next: what was appended stays, and the next round signs and anchors it."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Final

from digisom.transparency.sth import TreeHead

LOG: Final = logging.getLogger("digisom.transparency.worker")
STOP_TIMEOUT_S: Final = 10.0


class CheckpointWorker:
    """One thread that runs `checkpoint` every `every_s` seconds until stopped."""

    def __init__(self, checkpoint: Callable[[], TreeHead], every_s: float) -> None:
        if every_s <= 0:
            raise ValueError("a checkpoint period is positive")
        self._checkpoint = checkpoint
        self._every_s = every_s
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.rounds = 0  # completed rounds (tests and the operator's metrics read it)

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="log-checkpoint", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                head = self._checkpoint()
                self.rounds += 1
                LOG.info("log checkpoint: signed tree head %d", head.tree_size)
            except Exception:  # a chain node down, a database blip: logged, the next round retries
                LOG.exception("log checkpoint failed")
            self._stopping.wait(self._every_s)
