"""What the digital som's routes need from the composition root."""

from __future__ import annotations

from typing import Final

from fastapi import Request

from digisom.cbdc.service import CbdcService
from digisom.http.services import Slot, provided

CBDC_SERVICE: Final = Slot[CbdcService]("cbdc.service")


def service(request: Request) -> CbdcService:
    """The digital som's service, as wired."""
    return provided(request, CBDC_SERVICE)
