"""Payment priority, shared by the message layer and the settlement queue."""

from __future__ import annotations

from enum import StrEnum


class Priority(StrEnum):
    """Settlement priority: urgent payments are settled and queued ahead of normal ones."""

    URGENT = "urgent"  # ISO InstrPrty / SttlmPrty HIGH (or URGT)
    NORMAL = "normal"  # NORM or absent
