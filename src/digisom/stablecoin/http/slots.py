"""What the stablecoin routes need from the composition root: the database the bridge
writes its reserve reports to."""

from __future__ import annotations

from typing import Final

from fastapi import Request
from sqlalchemy import Engine

from digisom.http.services import Slot, provided

STABLECOIN_DB: Final = Slot[Engine]("stablecoin.db")


def stablecoin_db(request: Request) -> Engine:
    """The bridge's database."""
    return provided(request, STABLECOIN_DB)
