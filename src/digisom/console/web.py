"""The console's request plumbing: who is signed in, form parsing with the CSRF check,
page rendering, and the error pages. Screens (`screens/`) use only these helpers."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from importlib import resources
from typing import Any, Final, TypeVar

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from digisom.console import i18n, labels
from digisom.console.access import allowed, require
from digisom.console.errors import ConsoleRefusal, NotSignedIn
from digisom.console.i18n import _
from digisom.console.session import COOKIE_NAME_HTTP, COOKIE_NAME_HTTPS, Session, SessionSeal
from digisom.console.sessions import SESSIONS, SessionStore
from digisom.http.auth import TokenError, TokenVerifier
from digisom.http.idempotency import KEY_CHARS_MAX
from digisom.http.revocations import TOKEN_REVOCATIONS, RevocationStore
from digisom.http.services import filled
from digisom.kernel.access import Actor
from digisom.portal.i18n import LANGUAGES, NAMES, Catalogs, language_hrefs

PREFIX: Final = "/console"
SIGN_IN_PATH: Final = PREFIX + "/sign-in"
SIGN_OUT_PATH: Final = PREFIX + "/sign-out"
CSRF_FIELD: Final = "csrf_token"
# A console form has a handful of short fields; a file only where a screen takes one.
FORM_FIELDS_MAX: Final = 20
FORM_FIELD_BYTES_MAX: Final = 8 * 1024
# A form that moves money or opens something carries a fresh key, passed to the service
# as the API passes its Idempotency-Key: sent twice (a reload), it is done once.
FORM_KEY_FIELD: Final = "form_key"
FORM_KEY_BYTES: Final = 16
_Input = TypeVar("_Input", bound=BaseModel)


@dataclass(frozen=True)
class Console:
    """What every console request needs: the API app whose services (slots), token
    verifier and session store it uses, the cookie seal, the templates and the catalogs
    (the portal's)."""

    api: FastAPI
    seal: SessionSeal
    templates: Environment
    catalogs: Catalogs = dataclass_field(default_factory=Catalogs.load)

    @property
    def verifier(self) -> TokenVerifier:
        """The API's own verifier: the console accepts exactly the tokens the API accepts."""
        verifier: TokenVerifier = self.api.state.verifier
        return verifier

    @property
    def sessions(self) -> SessionStore:
        """The sessions' rows, in the platform's database (the composition root wires them)."""
        return filled(self.api, SESSIONS)

    @property
    def token_revocations(self) -> RevocationStore:
        """The API's revoked tokens: sign-out revokes the token the session holds."""
        return filled(self.api, TOKEN_REVOCATIONS)


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The signed-in operator of a request and its session."""

    actor: Actor
    session: Session


def templates() -> Environment:
    """The Jinja environment over the package's templates: autoescaped, gettext installed
    (in the request's language: `digisom.console.i18n`)."""
    folder = resources.files("digisom.console") / "templates"
    env = Environment(loader=FileSystemLoader(str(folder)), autoescape=select_autoescape(default=True),
                      extensions=["jinja2.ext.i18n"], auto_reload=False)
    env.install_gettext_callables(i18n._, i18n.ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["som"] = som
    env.filters["label"] = labels.label
    return env


def som(amount_tyiyn: int) -> str:
    """Tyiyn as som with two decimals and thousands grouped (integers only, never a float)."""
    sign = "-" if amount_tyiyn < 0 else ""
    whole, tyiyn = divmod(abs(amount_tyiyn), 100)
    return f"{sign}{whole:,}.{tyiyn:02d}"


def console_of(request: Request) -> Console:
    """The console the request's app serves."""
    found: Console = request.app.state.console
    return found


def is_https(request: Request) -> bool:
    """Whether the browser reached us over TLS (behind a proxy: as uvicorn's proxy headers say)."""
    return request.url.scheme == "https"


def cookie_name(request: Request) -> str:
    """The session cookie's name for this request's scheme."""
    return COOKIE_NAME_HTTPS if is_https(request) else COOKIE_NAME_HTTP


def session_of(request: Request) -> Session | None:
    """The session the request's cookie seals, or None."""
    return console_of(request).seal.open(request.cookies.get(cookie_name(request)))


def signed_in(request: Request) -> SignedIn:
    """The operator signed in, re-checked now with the API's verifier (expiry included) and
    against the session's row (there, unexpired, not revoked, the token's subject and role);
    else `NotSignedIn`. Reads the database: call it from a worker thread."""
    session = session_of(request)
    if session is None:
        raise NotSignedIn
    console = console_of(request)
    try:
        actor = console.verifier.actor(session.token)
    except TokenError:
        raise NotSignedIn from None
    record = console.sessions.live(session.session_id)
    # The row was written for this token's actor at sign-in; a cookie is sealed, so a
    # mismatch means a broken seal key or table: refuse either way.
    if record is None or (record.subject, record.role, record.bank_code) != (actor.subject, actor.role.value,
                                                                              actor.bank_code):
        raise NotSignedIn
    return SignedIn(actor, session)


async def signed_in_async(request: Request) -> SignedIn:
    """`signed_in` from async code, in a worker thread (it reads the database)."""
    return await run_in_threadpool(signed_in, request)


def viewer(request: Request, operation: str) -> SignedIn:
    """The signed-in operator, if their role may perform `operation` (else a 403 page)."""
    who = signed_in(request)
    require(who.actor, operation)
    return who


async def posted(request: Request, operation: str | None, files_max: int = 0) -> tuple[SignedIn, FormData]:
    """The signed-in operator and the form they posted, if the form carries this session's
    CSRF token and their role may perform `operation` (None: any signed-in operator); else
    a 403 page and nothing done."""
    who = await signed_in_async(request)
    form = await form_of(request, files_max)
    check_csrf(form, who.session)
    if operation is not None:
        require(who.actor, operation)
    return who, form


async def form_of(request: Request, files_max: int = 0) -> FormData:
    """The posted form, within the console's limits (more fields, files or a longer field: 400)."""
    return await request.form(max_files=files_max, max_fields=FORM_FIELDS_MAX, max_part_size=FORM_FIELD_BYTES_MAX)


def check_csrf(form: FormData, session: Session) -> None:
    """Refuse a form without this session's CSRF token (compared in constant time)."""
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise ConsoleRefusal(403, _("Form expired"), _("This form is not from your current session. "
                                                     "Open the page again and resend it."))


def field(form: FormData, name: str, chars_max: int = 200) -> str:
    """A text field of `form`, stripped; a 400 page if it is missing, a file or too long."""
    value = form.get(name)
    if not isinstance(value, str) or len(value) > chars_max:
        raise ConsoleRefusal(400, _("Invalid form"), _("A field is missing or too long: ") + name)
    return value.strip()


def parsed(model: type[_Input], data: Mapping[str, Any]) -> _Input:
    """A form's fields read by the API's own request schema (`model`), so the console
    accepts exactly what the API accepts; else a 400 page naming the fields."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        names = sorted({".".join(str(part) for part in e["loc"]) or "form" for e in error.errors()})
        raise ConsoleRefusal(400, _("Invalid form"), _("Check these fields: ") + ", ".join(names)) from None


def form_key(form: FormData) -> str:
    """The form's one-time key (see `FORM_KEY_FIELD`); a 400 page if it is missing or not one of ours."""
    key = field(form, FORM_KEY_FIELD, KEY_CHARS_MAX)
    if len(key) != 2 * FORM_KEY_BYTES or not all(c in "0123456789abcdef" for c in key):
        raise ConsoleRefusal(400, _("Invalid form"), _("Open the page again and resend the form."))
    return key


def render(request: Request, template: str, who: SignedIn | None = None, status: int = 200,
           **context: Any) -> HTMLResponse:
    """`template` rendered for the operator `who` (their CSRF token in every form, and `can`
    to show only the actions their role may take)."""
    actor = who.actor if who else None
    page = console_of(request).templates.get_template(template).render(
        actor=actor, csrf_field=CSRF_FIELD, csrf_token=who.session.csrf_token if who else "",
        can=(lambda operation: actor is not None and allowed(actor, operation)), prefix=PREFIX,
        form_key_field=FORM_KEY_FIELD, new_form_key=lambda: secrets.token_hex(FORM_KEY_BYTES),
        lang=i18n.language(), languages=LANGUAGES, language_names=NAMES, path=request.url.path,
        language_hrefs=language_hrefs(request.url.path, request.query_params.multi_items()), **context)
    return HTMLResponse(page, status_code=status, headers={**PAGE_HEADERS, "Content-Language": i18n.language()})


def see_other(path: str) -> RedirectResponse:
    """Post/redirect/get: after a form, the browser loads `path`."""
    return RedirectResponse(path, status_code=303, headers=PAGE_HEADERS)


def error_page(request: Request, status: int, title: str, detail: str, reason: str | None = None) -> Response:
    """A plain error page (never a trace), in the operator's session if there is one;
    `reason`, if given, is the technical reason in English (the API's words)."""
    try:
        who: SignedIn | None = signed_in(request)
    except NotSignedIn:
        who = None
    return render(request, "error.html", who, status=status, title=title, detail=detail, reason=reason)


# No caching of operator pages, no framing (clickjacking a form), no sniffing, nothing
# loaded from elsewhere: the console serves its own stylesheet and script.
PAGE_HEADERS: Final = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
}
