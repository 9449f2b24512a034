"""What the compliance routes need from the composition root: the desk (the loaded lists,
the decisions table and the releases of final decisions, whose subscribers the composition
root registers: `digisom.api.screening_wiring`)."""

from __future__ import annotations

from typing import Final

from fastapi import Request

from digisom.compliance.desk import ComplianceDesk
from digisom.http.services import Slot, provided

COMPLIANCE_DESK: Final = Slot[ComplianceDesk]("compliance.desk")


def desk(request: Request) -> ComplianceDesk:
    """The process's compliance desk."""
    return provided(request, COMPLIANCE_DESK)
