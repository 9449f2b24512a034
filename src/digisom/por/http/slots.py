"""What the proof-of-reserves routes need from the composition root: the database, and
the chain reader that checks reserves at publication (None: recorded as not checked)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from sqlalchemy import Engine

from digisom.http.services import Slot
from digisom.por.reserves import HolderBalances

POR_DB: Final = Slot[Engine]("por.db")
POR_NOW: Final = Slot[Callable[[], str]]("por.now")  # ISO 8601 UTC
POR_CHAIN: Final = Slot[HolderBalances | None]("por.chain")
