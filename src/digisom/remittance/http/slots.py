"""What the remittance routes need from the composition root: the service, the reads and
(rail 3) the ISO 20022 messages."""

from __future__ import annotations

from typing import Final

from fastapi import Request

from digisom.http.services import Slot, provided
from digisom.remittance.ports import PaymentMessages
from digisom.remittance.reads import RemittanceReads
from digisom.remittance.service import RemittanceService

REMITTANCE_SERVICE: Final = Slot[RemittanceService]("remittance.service")
REMITTANCE_READS: Final = Slot[RemittanceReads]("remittance.reads")
REMITTANCE_MESSAGES: Final = Slot[PaymentMessages]("remittance.messages")


def service(request: Request) -> RemittanceService:
    """The process's remittance service."""
    return provided(request, REMITTANCE_SERVICE)


def reads(request: Request) -> RemittanceReads:
    """The remittance lists."""
    return provided(request, REMITTANCE_READS)


def messages(request: Request) -> PaymentMessages:
    """Rail 3's ISO 20022 reader and writer."""
    return provided(request, REMITTANCE_MESSAGES)
