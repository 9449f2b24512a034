"""The checkpoint worker of `digisom serve`: every `every_s` seconds one checkpoint (log
what was published and the journal's head, sign, anchor). The first round runs at start,
so a freshly served world has a signed head. A failed round (a chain node down) is logged
and retried on the next: what was appended stays, and the next round signs and anchors it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from digisom.kernel.periodic import Periodic
from digisom.transparency.sth import TreeHead

LOG: Final = logging.getLogger("digisom.transparency.worker")


class CheckpointWorker(Periodic):
    """One thread that runs `checkpoint` every `every_s` seconds until stopped."""

    def __init__(self, checkpoint: Callable[[], TreeHead], every_s: float) -> None:
        def one_round() -> None:
            head = checkpoint()
            LOG.info("log checkpoint: signed tree head %d", head.tree_size)

        super().__init__("log-checkpoint", one_round, every_s, LOG)
