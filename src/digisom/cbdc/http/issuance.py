"""/v1/issuance: reserves in, digital som out and back; the summary and daily reports."""

# No `from __future__ import annotations` here: a route built in a loop names its
# permission through a closure variable, which FastAPI can only see in an evaluated annotation.
import re
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from digisom.cbdc import issuance
from digisom.cbdc.http import schemas as s
from digisom.cbdc.http.slots import service
from digisom.http.idempotency import IdempotencyKey, idempotent
from digisom.http.permissions import Authorize
from digisom.http.problems import ApiProblem
from digisom.http.render import READ_PROBLEMS, WRITE_PROBLEMS, amount, json
from digisom.kernel.access import Actor

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def router() -> APIRouter:
    """The issuance routes."""
    r = APIRouter(prefix="/v1/issuance", tags=["issuance"])

    def conversion(path: str, kind: str, operation: str, summary: str) -> None:
        # The three conversions differ only in kind and permission.
        @r.post(path, status_code=201, response_model=s.IssuanceEventOut,
                responses=WRITE_PROBLEMS, summary=summary, name=kind)
        def convert(
            request: Request, body: s.ConversionIn, key: IdempotencyKey,
            actor: Annotated[Actor, Depends(Authorize(operation))],
        ) -> Response:
            return idempotent(request, actor, key, body, lambda: json(s.event_out(
                service(request).convert(actor, kind, body.bank_code, amount(body.amount_tyiyn), key)), 201))

    conversion("/reserve-credits", "reserve_credit", "issuance.reserve_credit",
               "Credit a bank's reserve account (central bank)")
    conversion("/issues", "issue", "issuance.issue", "Convert a bank's reserves into digital som")
    conversion("/redemptions", "redeem", "issuance.redeem", "Convert a bank's digital som back into reserves")

    @r.get("/summary", response_model=s.SummaryOut, responses=READ_PROBLEMS)
    def summary(request: Request, _actor: Annotated[Actor, Depends(Authorize("issuance.summary"))]) -> JSONResponse:
        """Circulation against the central bank's issuance liability, per bank."""
        return json(s.summary_out(service(request).issuance_summary()))

    @r.get("/reports/{day}", response_model=s.DailyReportOut,
           responses={**READ_PROBLEMS, 200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
    def daily_report(
        request: Request, day: Annotated[str, Path(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")],
        _actor: Annotated[Actor, Depends(Authorize("issuance.report"))],
        format: Annotated[Literal["json", "csv"], Query()] = "json",
    ) -> Response:
        """The daily issuance report (UTC day), as JSON or CSV."""
        if not _DAY.fullmatch(day) or not _valid_day(day):
            raise ApiProblem(422, "invalid-request", "The request is not valid", "day must be a date YYYY-MM-DD")
        report = service(request).daily_report(day)
        if format == "csv":
            return Response(issuance.report_csv(report), media_type="text/csv")
        return json(s.report_out(report))

    return r


def _valid_day(day: str) -> bool:
    try:
        date.fromisoformat(day)
    except ValueError:
        return False
    return True
