"""What the USDKG routes need from the composition root: the issuer's services."""

from __future__ import annotations

from typing import Final

from fastapi import Request

from digisom.http.services import Slot, provided
from digisom.usdkg.issuer import Issuer

USDKG: Final = Slot[Issuer]("usdkg.issuer")


def issuer(request: Request) -> Issuer:
    """The issuer's services in this process."""
    return provided(request, USDKG)
