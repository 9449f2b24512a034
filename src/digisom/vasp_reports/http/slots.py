"""What the volume reports' routes need from the composition root: the service (which
holds the licence and asset ports the root filled)."""

from __future__ import annotations

from typing import Final

from fastapi import Request

from digisom.http.services import Slot, provided
from digisom.vasp_reports.service import VaspReports

VASP_REPORTS: Final = Slot[VaspReports]("vasp_reports.service")


def reports(request: Request) -> VaspReports:
    """The volume reports' service in this process."""
    return provided(request, VASP_REPORTS)
