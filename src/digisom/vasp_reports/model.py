"""A stored report version, as the service returns it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from digisom.vasp_reports.report import Report


class Channel(StrEnum):
    """How the report arrived."""

    API = "api"
    CSV = "csv"


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """One version of a VASP's report for a month, with the signature and the licence key
    it was verified under, when it arrived and whether that was after the deadline."""

    report: Report
    signature: bytes
    public_key: bytes
    channel: Channel
    submitted_by: str
    received_at: str
    late: bool

    @property
    def key(self) -> tuple[str, str, int]:
        """(VASP, period, version)."""
        return (self.report.vasp_id, self.report.period, self.report.version)
