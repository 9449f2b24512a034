"""Request and response bodies of the volume reports. The report itself is checked by the
domain (`report.parse_report`), so a bad field gets the typed `vasp-report-invalid`
naming it; its schema is docs/vasp-reports.md's."""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from digisom.vasp_reports import signing

SIGNATURE_PATTERN: Final = rf"^[0-9a-f]{{{2 * signing.SIGNATURE_BYTES}}}$"


class SubmitIn(BaseModel):
    """A signed report: the report object and the VASP's Ed25519 signature over its
    canonical bytes (RFC 8785), hex."""

    model_config = ConfigDict(extra="forbid")
    report: dict[str, Any] = Field(description="The report, format digisom-vasp-report-v1 (docs/vasp-reports.md)")
    signature: str = Field(pattern=SIGNATURE_PATTERN, description="64 bytes, lower-case hex")


class SubmitOut(BaseModel):
    """The stored version."""

    vasp_id: str
    period: str
    version: int
    received_at: str
    late: bool
    report_sha256: str


class VersionOut(BaseModel):
    """One published version: the signed report, its signature and the licence key (hex)."""

    report: dict[str, Any]
    signature: str
    public_key: str
    channel: str
    received_at: str
    late: bool


class VersionList(BaseModel):
    items: list[VersionOut]


class PeriodStatus(BaseModel):
    """Who was expected to report a month, who has not, who was late."""

    period: str
    due_at: str
    expected: int
    reported: list[str]
    missing: list[str]
    overdue: bool
    late: list[str]


class Aggregates(BaseModel):
    """A month's aggregates (docs/vasp-reports.md, "Aggregates")."""

    period: str
    reports: int
    volume_tyiyn: str
    trades: int
    customers: int
    pairs: list[dict[str, Any]]
    assets: list[dict[str, Any]]


class Export(BaseModel):
    """Every version of a month's reports and its aggregates: what `digisom vasp-reports
    recompute` checks."""

    format: str
    periods: list[str]
    reports: list[VersionOut]
    aggregates: list[Aggregates]
