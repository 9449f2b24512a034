"""The portal's pages at `/`: every route public (`portal.read`; the proof-of-reserves
check `portal.por.check`), every input bounded (`params`), every refusal a page in the
visitor's language with 400 or 404."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from importlib import resources
from typing import Annotated, Any, Final
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams

from digisom.http.permissions import Authorize
from digisom.http.services import filled, provided
from digisom.kernel.access import Actor
from digisom.por import publication
from digisom.por.errors import PorError
from digisom.por.http.slots import POR_DB
from digisom.portal import i18n, params, reads, records
from digisom.portal.records import RecordLog
from digisom.portal.render import PORTAL

PROOF_CHARS_MAX: Final = 8192  # a proof for 2**64 customers is under 6 KB of JSON
FORM_FIELDS_MAX: Final = 4
FORM_TYPE: Final = "application/x-www-form-urlencoded"
ROOT_PATTERN: Final = re.compile(r"[0-9a-f]{64}")
RECORD_ID: Final = re.compile(records.RECORD_ID_PATTERN.strip("^$"))
STATIC_MAX_AGE_S: Final = 3600
STATIC_FILES: Final = {"portal.css": "text/css", "favicon.svg": "image/svg+xml"}
PAGES: Final = ("/", "/kgst", "/usdkg", "/spending", "/register", "/por", "/records")

Read = Annotated[Actor, Depends(Authorize("portal.read"))]
Build = Callable[[QueryParams], Mapping[str, Any]]


def _language(request: Request) -> tuple[str, bool]:
    """The page's language, and False when `?lang=` named one we do not have (the error
    page is then in the browser's language)."""
    return i18n.request_language(request.query_params.getlist("lang"), request.headers.get("accept-language"))


def _render(request: Request, template: str, build: Build) -> Response:
    portal = provided(request, PORTAL)
    lang, known = _language(request)
    if not known:
        return portal.page(request, lang, "error.html", {"problem": "language"}, 400)
    try:
        context = build(params.query_params(request.url.query, request.query_params))
    except params.BadInput:
        return portal.page(request, lang, "error.html", {"problem": "input"}, 400)
    except params.NotFound:
        return portal.page(request, lang, "error.html", {"problem": "not_found"}, 404)
    return portal.page(request, lang, template, context)


def _past_the_end(page: int, empty: bool) -> None:
    """An empty page after the first is an address that leads nowhere: 404."""
    if page > 1 and empty:
        raise params.NotFound("page past the end")


def _home(request: Request) -> Build:
    return lambda _q: {"view": reads.circulation(request.app)}


def _kgst(request: Request) -> Build:
    return lambda _q: {"reports": reads.kgst_reports(request.app)}


def _usdkg(request: Request) -> Build:
    def build(query: QueryParams) -> Mapping[str, Any]:
        page = params.page_number(query)
        view = reads.usdkg(request.app, page)
        if view is not None:
            _past_the_end(page, not view.bars)
        return {"view": view, "page": page}
    return build


def _spending(request: Request) -> Build:
    def build(query: QueryParams) -> Mapping[str, Any]:
        page = params.page_number(query)
        programme = params.one(query, "programme", params.PROGRAMME_PATTERN)
        period = params.one(query, "period", params.PERIOD_PATTERN)
        view = reads.public_spending(request.app, programme, period, page)
        if view is not None:
            _past_the_end(page, not view.cells)
        return {"view": view, "page": page, "programme": programme or "", "period": period or ""}
    return build


def _register(request: Request) -> Build:
    return lambda _q: {"view": reads.register_view(request.app)}


def _record_log(request: Request) -> RecordLog | None:
    try:
        return filled(request.app, records.RECORD_LOG)
    except LookupError:
        return None


def _records(request: Request) -> Build:
    def build(query: QueryParams) -> Mapping[str, Any]:
        record_id = params.one(query, "id", RECORD_ID)
        page = params.page_number(query)
        log = _record_log(request)
        if log is None:
            return {"available": False, "record_id": record_id or "", "record": None, "recent": None, "page": page}
        if record_id is None:
            recent = log.recent(page, records.RECENT_PAGE_SIZE)
            _past_the_end(page, not recent.items)
            return {"available": True, "record_id": "", "record": None, "recent": recent, "page": page}
        found = log.record(record_id)
        if found is None:
            raise params.NotFound("no such record")
        return {"available": True, "record_id": record_id, "record": found, "verdict": records.verify(found),
                "recent": None, "page": page}
    return build


def _check_proof(request: Request, body: bytes) -> tuple[Mapping[str, Any], int]:
    """The outcome of the proof-of-reserves form and its status code."""
    if request.headers.get("content-type", "").split(";")[0].strip() != FORM_TYPE:
        return {"outcome": "malformed"}, 400
    try:
        form = parse_qs(body.decode("utf-8"), max_num_fields=FORM_FIELDS_MAX, strict_parsing=False)
        text = params.one(form, "proof", re.compile(r".*", re.DOTALL)) or ""
        if len(text) > PROOF_CHARS_MAX:
            raise params.BadInput("proof too long")
        proof = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):  # JSONDecodeError and BadInput are ValueErrors
        return {"outcome": "malformed"}, 400
    if not isinstance(proof, dict) or not isinstance(proof.get("root"), str) \
            or ROOT_PATTERN.fullmatch(proof["root"]) is None:
        return {"outcome": "malformed"}, 400
    try:
        reason = publication.check_proof(provided(request, POR_DB), proof["root"], proof)
    except PorError:
        return {"outcome": "unknown_root"}, 404
    except LookupError:
        return {"outcome": "unavailable"}, 503
    return ({"outcome": "valid"} if reason is None else {"outcome": "invalid", "reason": reason}), 200


def _static(name: str, media_type: str) -> Callable[[Actor], Response]:
    data = resources.files("digisom.portal").joinpath("static", name).read_bytes()

    def serve(_actor: Read) -> Response:
        """One of the portal's static files, from the package."""
        return Response(data, media_type=media_type, headers={"Cache-Control": f"public, max-age={STATIC_MAX_AGE_S}",
                                                             "X-Content-Type-Options": "nosniff"})

    return serve


def router() -> APIRouter:
    """The portal's pages (left out of the OpenAPI document: they are HTML for people)."""
    r = APIRouter(include_in_schema=False, tags=["portal"])

    @r.get("/")
    def home(request: Request, _actor: Read) -> Response:
        """Digital som in circulation against the issuance liability, now and by month."""
        return _render(request, "home.html", _home(request))

    @r.get("/kgst")
    def kgst(request: Request, _actor: Read) -> Response:
        """KGST's supply against its som reserve, report by report."""
        return _render(request, "kgst.html", _kgst(request))

    @r.get("/usdkg")
    def usdkg(request: Request, _actor: Read) -> Response:
        """USDKG's coverage, its bar list (paged) and its audits."""
        return _render(request, "usdkg.html", _usdkg(request))

    @r.get("/spending")
    def spending(request: Request, _actor: Read) -> Response:
        """Public spending per programme, period and region (paged, filtered)."""
        return _render(request, "spending.html", _spending(request))

    @r.get("/register")
    def register(request: Request, _actor: Read) -> Response:
        """The State Register of Digital Assets and the licensed VASPs."""
        return _render(request, "register.html", _register(request))

    @r.get("/por")
    def por(request: Request, _actor: Read) -> Response:
        """The proof-of-reserves form and the published roots."""
        return _render(request, "por.html", lambda _q: {"roots": reads.por_roots(request.app), "outcome": None})

    @r.post("/por")
    async def por_check(request: Request,
                        _actor: Annotated[Actor, Depends(Authorize("portal.por.check"))]) -> Response:
        """Check a pasted proof against its published root; nothing is stored."""
        body = await request.body()
        outcome, status_code = await run_in_threadpool(_check_proof, request, body)
        portal = provided(request, PORTAL)
        lang, known = _language(request)
        if not known:
            return portal.page(request, lang, "error.html", {"problem": "language"}, 400)
        roots = await run_in_threadpool(reads.por_roots, request.app)
        return portal.page(request, lang, "por.html", {"roots": roots, **outcome}, status_code)

    @r.get("/records")
    def records_page(request: Request, _actor: Read) -> Response:
        """The newest published records (paged), or one looked up with its proofs checked."""
        return _render(request, "records.html", _records(request))

    for name, media_type in STATIC_FILES.items():
        r.add_api_route(f"/static/{name}", _static(name, media_type), methods=["GET"])

    return r
