"""/v1/vasps/{vasp_id}/reports and /v1/vasp-reports/{period}/...: the monthly volume reports
(docs/vasp-reports.md).

A VASP operator submits its own VASP's report (another VASP's path is 404, as for one that
does not exist), as JSON or as a CSV upload; every version is public, as are each month's
aggregates and its export; the registrar (and the auditor) sees who has not reported."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from digisom.http.idempotency import IdempotencyKey, idempotent
from digisom.http.permissions import Authorize
from digisom.http.problems import ApiProblem
from digisom.http.render import READ_PROBLEMS, WRITE_PROBLEMS, json
from digisom.kernel.access import Actor
from digisom.vasp_reports import csv_format
from digisom.vasp_reports.errors import UnknownVasp
from digisom.vasp_reports.export import version_json
from digisom.vasp_reports.http import schemas as s
from digisom.vasp_reports.http.slots import reports
from digisom.vasp_reports.model import StoredVersion
from digisom.vasp_reports.report import PERIOD_PATTERN, VASP_ID_PATTERN, canonical_bytes

# Reports are larger than the app's default body limit; `app.BodyLimit` reads these.
UPLOAD_PATH_PATTERN: Final = r"^/v1/vasps/[^/]+/reports(/csv)?$"
UPLOAD_BODY_BYTES_MAX: Final = csv_format.FILE_BYTES_MAX

VaspPath = Annotated[str, Path(pattern=VASP_ID_PATTERN, description="A VASP's id (its licence register id).")]
PeriodPath = Annotated[str, Path(pattern=PERIOD_PATTERN, description="A month, YYYY-MM.")]
PeriodQuery = Annotated[str | None, Query(pattern=PERIOD_PATTERN, description="Only this month, YYYY-MM.")]
_CSV_BODY: Final = {"requestBody": {"required": True, "content": {"text/csv": {"schema": {
    "type": "string", "description": "format / report / pair / asset / totals / signature rows"}}}}}
_UNSUPPORTED_MEDIA: Final[dict[int | str, dict[str, Any]]] = {415: {
    "description": "Not text/csv",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}


class _CsvFingerprint(BaseModel):
    file_sha256: str


def _own(actor: Actor, vasp_id: str) -> None:
    """A VASP operator acts for its own VASP only; another's is not found."""
    if actor.subject != vasp_id:
        raise UnknownVasp("no such VASP")


def _stored(stored: StoredVersion) -> JSONResponse:
    report = stored.report
    return json(s.SubmitOut(vasp_id=report.vasp_id, period=report.period, version=report.version,
                            received_at=stored.received_at, late=stored.late,
                            report_sha256=hashlib.sha256(canonical_bytes(report)).hexdigest()), 201)


def router() -> APIRouter:
    """The volume reports' routes."""
    r = APIRouter(tags=["vasp-reports"])

    @r.post("/v1/vasps/{vasp_id}/reports", status_code=201, response_model=s.SubmitOut, responses=WRITE_PROBLEMS)
    def submit(request: Request, vasp_id: VaspPath, body: s.SubmitIn, key: IdempotencyKey,
               actor: Annotated[Actor, Depends(Authorize("vasp_reports.submit"))]) -> Response:
        """Submit a month's report signed with the key of the VASP's licence. Refusals name
        the rule: 403 `vasp-report-not-licensed` (none, suspended, revoked) or
        `vasp-report-bad-signature` (checked before any other rule); 422 `vasp-report-invalid`,
        `-period-refused`, `-sums-mismatch`, `-asset-refused`; 409 `-version-conflict` (an
        amendment is the next version, with a reason). Nothing is stored on a refusal."""
        _own(actor, vasp_id)
        service = reports(request)
        return idempotent(request, actor, key, body, lambda: _stored(service.submit(
            vasp_id, body.report, bytes.fromhex(body.signature), submitted_by=actor.principal)))

    @r.post("/v1/vasps/{vasp_id}/reports/csv", status_code=201, response_model=s.SubmitOut,
            responses={**WRITE_PROBLEMS, **_UNSUPPORTED_MEDIA}, openapi_extra=_CSV_BODY)
    async def submit_csv(request: Request, vasp_id: VaspPath, key: IdempotencyKey,
                         actor: Annotated[Actor, Depends(Authorize("vasp_reports.submit"))]) -> Response:
        """Submit a month's report as a CSV upload (`text/csv`, docs/vasp-reports.md "CSV
        format", at most 1 MiB and 2,504 rows: 413 `vasp-report-file-too-large`); a file not
        in the format is 422 `vasp-report-malformed-csv` naming the row. Otherwise as the JSON route."""
        _own(actor, vasp_id)
        sent = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if sent != "text/csv":
            raise ApiProblem(415, "unsupported-media-type", "Unsupported media type", "send the file as text/csv")
        data = await request.body()
        service = reports(request)
        fingerprint = _CsvFingerprint(file_sha256=hashlib.sha256(data).hexdigest())
        return await run_in_threadpool(idempotent, request, actor, key, fingerprint, lambda: _stored(
            service.submit_csv(vasp_id, data, submitted_by=actor.principal)))

    @r.get("/v1/vasps/{vasp_id}/reports", response_model=s.VersionList, responses=READ_PROBLEMS)
    def list_reports(request: Request, vasp_id: VaspPath,
                     _actor: Annotated[Actor, Depends(Authorize("vasp_reports.read"))],
                     period: PeriodQuery = None) -> JSONResponse:
        """Every version of a VASP's reports (of one month with `period`), each with its
        signature and the licence key it was verified under: all versions are public."""
        found = reports(request).versions(vasp_id, period)
        return json(s.VersionList.model_validate({"items": [version_json(v) for v in found]}))

    @r.get("/v1/vasp-reports/{period}/aggregates", response_model=s.Aggregates, responses=READ_PROBLEMS)
    def aggregates(request: Request, period: PeriodPath,
                   _actor: Annotated[Actor, Depends(Authorize("vasp_reports.aggregates"))]) -> JSONResponse:
        """The month's published aggregates, in total, per pair and per asset, from each
        VASP's latest version."""
        return json(s.Aggregates.model_validate(reports(request).aggregates(period)))

    @r.get("/v1/vasp-reports/{period}/export", response_model=s.Export, responses=READ_PROBLEMS)
    def export(request: Request, period: PeriodPath,
               _actor: Annotated[Actor, Depends(Authorize("vasp_reports.export"))]) -> JSONResponse:
        """Every version of the month's reports with signatures and keys, and the aggregates:
        `digisom vasp-reports recompute EXPORT.json` checks them."""
        return json(s.Export.model_validate(reports(request).export(period)))

    @r.get("/v1/vasp-reports/{period}/status", response_model=s.PeriodStatus, responses=READ_PROBLEMS)
    def status(request: Request, period: PeriodPath,
               _actor: Annotated[Actor, Depends(Authorize("vasp_reports.status"))]) -> JSONResponse:
        """For the registrar: the VASPs licensed for the month that have not reported it,
        those whose first report came after the deadline, and the deadline."""
        return json(s.PeriodStatus.model_validate(reports(request).status(period)))

    return r
