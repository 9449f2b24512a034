"""What the travel-rule routes need from the composition root: the service."""

from __future__ import annotations

from typing import Final

from fastapi import Request

from digisom.http.services import Slot, provided
from digisom.travelrule.service import TravelRuleService

TRAVEL_RULE_SERVICE: Final = Slot[TravelRuleService]("travelrule.service")


def service(request: Request) -> TravelRuleService:
    """The process's travel-rule exchange."""
    return provided(request, TRAVEL_RULE_SERVICE)
