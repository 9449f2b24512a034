"""The console app and how it is mounted on the API's app.

The console answers every path under `/console` before the API's middleware sees the
request: the API's gate wants a bearer token for any body, while a browser sends a
session cookie and a form. The console has its own gate (`Guard`): before a byte of a
POST's body is read, it must come from this origin, fit the size limit and, but for
the sign-in form itself, carry a valid session.
"""

from __future__ import annotations

import logging
import re
from importlib import resources
from typing import Final, cast
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from digisom.console import i18n
from digisom.console.errors import ConsoleRefusal, NotSignedIn
from digisom.console.i18n import _
from digisom.console.screens import (
    aliases,
    central_bank,
    compliance,
    home,
    registrar,
    rtgs,
    sessions,
    treasury,
    usdkg,
    wallets,
)
from digisom.console.session import SessionSeal, session_key
from digisom.console.web import (
    PREFIX,
    SIGN_IN_PATH,
    SIGN_OUT_PATH,
    Console,
    console_of,
    error_page,
    see_other,
    signed_in,
    templates,
)
from digisom.disbursement.parsing import FILE_BYTES_MAX
from digisom.http import body_limit
from digisom.http.problems import ApiProblem
from digisom.kernel.errors import DomainError

# Every console form but a file upload is a few short fields.
FORM_BYTES_MAX: Final = 64 * 1024
UPLOAD_PATH: Final = re.compile(treasury.UPLOAD_PATH_PATTERN)
# Each form that takes a file, with its file limit (the domain's).
UPLOAD_LIMITS: Final = ((UPLOAD_PATH, FILE_BYTES_MAX),
                        (re.compile(usdkg.UPLOAD_PATH_PATTERN), usdkg.UPLOAD_BYTES_MAX))
SAFE_METHODS: Final = frozenset({"GET", "HEAD"})
_log = logging.getLogger("digisom.console")


def same_origin(request: Request) -> bool:
    """Whether a state-changing request comes from a page of this origin: its `Origin`
    header, or without one its `Referer`, names this scheme, host and port."""
    own = f"{request.url.scheme}://{request.url.netloc}"
    origin = request.headers.get("origin")
    if origin is not None:
        return origin == own
    referer = request.headers.get("referer")
    if referer is None:
        return False
    parts = urlsplit(referer)
    return f"{parts.scheme}://{parts.netloc}" == own


async def _send_unread(response: Response, scope: Scope, send: Send) -> None:
    """Answer without reading the body; `Connection: close` so the server drops the rest."""
    response.headers["connection"] = "close"

    async def no_body() -> Message:
        return {"type": "http.disconnect"}

    await response(scope, no_body, send)


class Guard:
    """Refuse a cross-site, oversized or session-less POST before its body is read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse the request unread, or pass it on."""
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            # In a worker thread: the session check reads the database.
            response = await run_in_threadpool(self.refusal, Request(scope))
            if response is not None:
                await _send_unread(response, scope, send)
                return
        await self.app(scope, receive, send)

    def refusal(self, request: Request) -> Response | None:
        """The answer to a request that may not go on, or None."""
        if not same_origin(request):
            return error_page(request, 403, _("Cross-site request refused"),
                              _("This form was not sent from a console page. Nothing was changed."))
        limit_bytes = next((b for path, b in UPLOAD_LIMITS if path.match(request.url.path)), FORM_BYTES_MAX)
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit_bytes):
            return error_page(request, 413, _("Too large"), _("What was sent is larger than this form takes."))
        # Signing in needs no session, and signing out must work for one already ended.
        if request.url.path not in (SIGN_IN_PATH, SIGN_OUT_PATH):
            try:
                signed_in(request)
            except NotSignedIn:
                return see_other(SIGN_IN_PATH)
        return None


def build_app(console: Console) -> FastAPI:
    """The console's own app: its screens, static files, error pages and gate."""
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.state.console = console
    for screen in (home, central_bank, rtgs, wallets, aliases, treasury, compliance, registrar, usdkg, sessions):
        app.include_router(screen.router())
    static = resources.files("digisom.console") / "static"
    app.mount(PREFIX + "/static", StaticFiles(directory=str(static)), name="console-static")
    _install_error_pages(app)

    async def unknown_language(scope: Scope, receive: Receive, send: Send) -> None:
        response = error_page(Request(scope), 400, _("Unknown language"),
                              _("The console is in Kyrgyz, Russian and English. Choose one of them."))
        await _send_unread(response, scope, send)

    # Whatever the framing, no body past the largest form (the upload's) is read; the
    # guard (added last, so first to run) answers a declared oversized body with a page.
    app.add_middleware(body_limit.BodyLimit, max_bytes=FORM_BYTES_MAX,
                       route_limits=UPLOAD_LIMITS)
    app.add_middleware(Guard)
    # Outermost: the guard's refusals are pages in the operator's language too.
    app.add_middleware(i18n.Language, catalogs=console.catalogs, refuse=unknown_language)
    return app


def _refused_titles() -> dict[int, tuple[str, str]]:
    # Read per call: `_` follows the request's language.
    return {
        400: (_("Invalid request"), _("The form is not valid. Nothing was changed.")),
        403: (_("Not allowed"), _("Your role may not do this.")),
        404: (_("Not found"), _("There is nothing at this address, or it is not yours to see.")),
        409: (_("Already done differently"), _("This conflicts with what was done before. Nothing was changed.")),
        422: (_("Refused"), _("The request was refused. Nothing was changed.")),
        503: (_("Unavailable"), _("The service cannot do this now. Try again later.")),
    }


def _refused_page(request: Request, status: int, title: str, detail: str | None) -> Response:
    """A domain's or the API's refusal as a page in the operator's language: a sentence per
    status, with the domain's own words (English, as the API says them) as the technical reason."""
    heading, sentence = _refused_titles().get(status, _refused_titles()[422])
    reason = f"{title}: {detail}" if detail else title
    return error_page(request, status, heading, sentence, reason)


def _install_error_pages(app: FastAPI) -> None:
    """Every error a page: a status and a sentence, never a trace. The handlers that render
    a page are plain functions, which Starlette runs in a worker thread: a page looks up
    the session's row (`error_page`)."""

    async def not_signed_in(_request: Request, _exc: Exception) -> Response:
        return see_other(SIGN_IN_PATH)

    def refusal(request: Request, exc: Exception) -> Response:
        exc = cast(ConsoleRefusal, exc)  # registered for this type only
        return error_page(request, exc.status, exc.title, exc.detail)

    def domain(request: Request, exc: Exception) -> Response:
        exc = cast(DomainError, exc)  # registered for this type only
        return _refused_page(request, exc.status, exc.title, exc.problem_detail())

    def api_problem(request: Request, exc: Exception) -> Response:
        exc = cast(ApiProblem, exc)  # registered for this type only
        return _refused_page(request, exc.status, exc.title, exc.detail)

    def invalid(request: Request, _exc: Exception) -> Response:
        return error_page(request, 400, _("Invalid request"), _("The address or the form is not valid."))

    def http(request: Request, exc: Exception) -> Response:
        exc = cast(StarletteHTTPException, exc)  # registered for this type only
        titles = {404: _("Page not found"), 405: _("Not allowed here"), 413: _("Too large")}
        return error_page(request, exc.status_code, titles.get(exc.status_code, _("Invalid request")),
                          _("Check the address, or go back to the console's start page."))

    async def unexpected(request: Request, exc: Exception) -> Response:
        _log.exception("console: unexpected error", exc_info=exc)
        # This handler runs outside the middleware that bound the language: bind it again.
        with i18n.speaking(console_of(request).catalogs, i18n.chosen(request.scope)[0]):
            return error_page(request, 500, _("Something went wrong"),
                              _("Nothing more is shown here; the log has it."))

    app.add_exception_handler(NotSignedIn, not_signed_in)
    app.add_exception_handler(ConsoleRefusal, refusal)
    app.add_exception_handler(DomainError, domain)
    app.add_exception_handler(ApiProblem, api_problem)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(Exception, unexpected)


class Dispatch:
    """In front of the API's app: paths under `/console` go to the console, the rest on."""

    def __init__(self, app: ASGIApp, console: ASGIApp) -> None:
        self.app = app
        self.console = console

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the request to the console or to the API."""
        path: str = scope.get("path", "")
        if scope["type"] == "http" and (path == PREFIX or path.startswith(PREFIX + "/")):
            await self.console(scope, receive, send)
            return
        await self.app(scope, receive, send)


def mount(api: FastAPI, platform_key: Ed25519PrivateKey) -> FastAPI:
    """Serve the console at `/console` of `api` (before `api` first answers), over the
    services wired into `api`, with its token verifier and its session store (the
    `SESSIONS` slot); cookies sealed with a key derived from `platform_key`. Returns the
    console's app."""
    console = build_app(Console(api, SessionSeal(session_key(platform_key)), templates()))
    api.add_middleware(Dispatch, console=console)
    return console

