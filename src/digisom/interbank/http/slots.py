"""What the interbank routes need from the composition root."""

from __future__ import annotations

from typing import Final

from fastapi import Request

from digisom.http.services import Lazy, Slot, provided
from digisom.interbank.rtgs import Rtgs

RTGS: Final = Slot[Lazy[Rtgs]]("interbank.rtgs")


def rtgs(request: Request) -> Rtgs:
    """The process's RTGS, built on first use."""
    return provided(request, RTGS).get()
