"""RFC 9457 problem details: every error is `application/problem+json` with a stable
`type` URI per kind of error, so clients branch on `type`, never on `detail` text.

This is the one error map of the API: every domain refusal is a
`digisom.kernel.errors.DomainError` (not found, conflict, forbidden, invalid, refused),
whose class names its slug, title and status; `domain_problem` turns it into
problem+json, for the exception handler and for the responses `idempotent` stores.
No router maps a domain's errors itself."""

from __future__ import annotations

import logging
from typing import Any, Final, cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message, Scope, Send

from digisom.errors import DigisomError
from digisom.kernel.errors import DomainError
from digisom.ledger.store import StoreUnavailable
from digisom.ledger.submitter import QueueFull, SubmitterClosed

PROBLEM_BASE: Final = "https://digisom.kg/problems/"
PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
# At most this many field errors are listed in an invalid-request problem.
VALIDATION_ERRORS_MAX: Final = 20
DETAIL_CHARS_MAX: Final = 300
# A database failover (docs/operations.md) takes a few seconds: when to ask again.
RETRY_AFTER_S: Final = 2
_log = logging.getLogger("digisom.api")


class Problem(BaseModel):
    """An RFC 9457 problem document; extension members name limits, reasons, fields."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(examples=[PROBLEM_BASE + "limit-exceeded"])
    title: str
    status: int
    detail: str | None = None


class ApiProblem(Exception):
    """An error raised by the API layer itself (authentication, idempotency, input)."""

    def __init__(self, status: int, slug: str, title: str, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.extensions = extensions


def problem_response(status: int, slug: str, title: str, detail: str | None, **extensions: Any) -> JSONResponse:
    """A problem+json response."""
    body: dict[str, Any] = {"type": PROBLEM_BASE + slug, "title": title, "status": status}
    if detail is not None:
        body["detail"] = detail
    body.update(extensions)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


async def send_before_body(response: JSONResponse, scope: Scope, send: Send) -> None:
    """Send `response` from a middleware that refuses a request whose body it has not
    read (whole): `Connection: close` makes the server drop the rest of the body instead
    of reading it to find the next request on the connection."""
    response.headers["connection"] = "close"

    async def no_body() -> Message:
        return {"type": "http.disconnect"}

    await response(scope, no_body, send)


def domain_problem(error: DomainError) -> JSONResponse:
    """The problem for a domain refusal: its class's slug, title and status."""
    return problem_response(error.status, error.slug, error.title, error.problem_detail(), **error.extensions)


# What a background worker shows when it stopped on anything but a domain refusal (the
# log has the exception).
EXECUTION_FAILED: Final = ("execution-failed", "the run stopped on an internal error; it resumes on the next "
                           "execution request")


def worker_problem(error: BaseException) -> tuple[str, str]:
    """(problem type URI, safe detail) of the error a background run stopped on: a domain
    refusal's own detail (written by this project, naming no internals), else a fixed text."""
    if isinstance(error, DomainError):
        return PROBLEM_BASE + error.slug, error.problem_detail()
    slug, detail = EXECUTION_FAILED
    return PROBLEM_BASE + slug, detail


def _problem_schema() -> dict[str, Any]:
    return {"content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the given error statuses."""
    descriptions = {
        400: "Bad request", 401: "No valid bearer token", 403: "The token's role or scope does not allow this",
        404: "Not found", 409: "Conflict with the resource's state", 413: "Body too large",
        422: "Invalid input, a limit exceeded, or an idempotency key reused with another body",
        503: "The ledger is overloaded; retry later",
    }
    return {s: {"description": descriptions[s], **_problem_schema()} for s in statuses}


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""

    async def domain(_request: Request, exc: Exception) -> JSONResponse:
        exc = cast(DomainError, exc)  # registered for this type only
        return domain_problem(exc)

    async def api_problem(_request: Request, exc: Exception) -> JSONResponse:
        exc = cast(ApiProblem, exc)  # registered for this type only
        return problem_response(exc.status, exc.slug, exc.title, exc.detail, **exc.extensions)

    async def validation(_request: Request, exc: Exception) -> JSONResponse:
        exc = cast(RequestValidationError, exc)  # registered for this type only
        errors = [
            {"location": ".".join(str(p) for p in e.get("loc", ())), "message": str(e.get("msg", ""))[:200]}
            for e in exc.errors()[:VALIDATION_ERRORS_MAX]
        ]
        return problem_response(422, "invalid-request", "The request is not valid", "see errors", errors=errors)

    async def http(_request: Request, exc: Exception) -> JSONResponse:
        exc = cast(StarletteHTTPException, exc)  # registered for this type only
        slugs = {404: "not-found", 405: "method-not-allowed", 413: "payload-too-large"}
        slug = slugs.get(exc.status_code, "http-error")
        return problem_response(exc.status_code, slug, str(exc.detail), None)

    async def unavailable(_request: Request, exc: Exception) -> JSONResponse:
        _log.warning("unavailable: %s", exc)
        return problem_response(503, "unavailable", "The service cannot take this request now", "retry later")

    async def database_unavailable(_request: Request, exc: Exception) -> JSONResponse:
        # Nothing of the request was written (or, for a commit in doubt, its ids find it):
        # the client sends it again, with its Idempotency-Key.
        _log.warning("database unavailable: %s", exc)
        response = problem_response(503, "database-unavailable", "The database is failing over",
                                    "retry later with the same Idempotency-Key")
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response

    async def other_domain(_request: Request, exc: Exception) -> JSONResponse:
        # A typed boundary error (bad input, refused conversion) that no domain mapped to a problem type.
        return problem_response(422, "invalid-request", "The request is not valid", str(exc)[:DETAIL_CHARS_MAX])

    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        _log.exception("unexpected error", exc_info=exc)
        return problem_response(500, "internal-error", "Internal error", None)

    app.add_exception_handler(DomainError, domain)
    app.add_exception_handler(ApiProblem, api_problem)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(QueueFull, unavailable)
    app.add_exception_handler(SubmitterClosed, unavailable)
    app.add_exception_handler(StoreUnavailable, database_unavailable)
    app.add_exception_handler(DigisomError, other_domain)
    app.add_exception_handler(Exception, unexpected)
