"""What the remittance routes need from the composition root: the service and the reads."""

from __future__ import annotations

from typing import Final

from fastapi import Request

from digisom.http.services import Slot, provided
from digisom.remittance.reads import RemittanceReads
from digisom.remittance.service import RemittanceService

REMITTANCE_SERVICE: Final = Slot[RemittanceService]("remittance.service")
REMITTANCE_READS: Final = Slot[RemittanceReads]("remittance.reads")


def service(request: Request) -> RemittanceService:
    """The process's remittance service."""
    return provided(request, REMITTANCE_SERVICE)


def reads(request: Request) -> RemittanceReads:
    """The remittance lists."""
    return provided(request, REMITTANCE_READS)
