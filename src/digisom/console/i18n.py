"""The console's translations: the portal's Babel catalogs (ky, ru, en; `digisom.portal.i18n`
chooses and compiles them for both). Python strings use `_`; templates use Jinja's i18n
extension with the same functions.

The language is chosen like the portal's (`?lang=`, then Accept-Language, then Kyrgyz) and
kept across the console's pages in a cookie set when `?lang=` names one. `Language`
(middleware) binds the request's catalog to a context variable for the request's task, so
screens call `_` without passing the request; outside a request `_` is the identity."""

from __future__ import annotations

import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Final

from starlette.datastructures import Headers, QueryParams
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from digisom.portal.i18n import DEFAULT_LANGUAGE, Catalogs, request_language

COOKIE_NAME: Final = "digisom_console_lang"
COOKIE_MAX_AGE_S: Final = 365 * 24 * 3600
_NONE: Final = gettext.NullTranslations()
_current: ContextVar[tuple[str, gettext.NullTranslations]] = ContextVar("console_language",
                                                                        default=(DEFAULT_LANGUAGE, _NONE))


def _(message: str) -> str:
    """`message` in the request's language."""
    return _current.get()[1].gettext(message)


def N_(message: str) -> str:  # noqa: N802 (gettext's name for it)
    """Mark `message` for the catalogs where it is defined; it is translated where shown."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a message for `n`, in the request's language."""
    return _current.get()[1].ngettext(singular, plural, n)


def language() -> str:
    """The request's language code."""
    return _current.get()[0]


@contextmanager
def speaking(catalogs: Catalogs, lang: str) -> Iterator[None]:
    """`_` in `lang` within the block."""
    token = _current.set((lang, catalogs.translations[lang]))
    try:
        yield
    finally:
        _current.reset(token)


def chosen(scope: Scope) -> tuple[str, bool, bool]:
    """The request's language, whether `?lang=` (if any) was one we have, and whether it
    was given (then it is remembered)."""
    connection = HTTPConnection(scope)
    given = QueryParams(scope.get("query_string", b"")).getlist("lang")
    lang, known = request_language(given, Headers(scope=scope).get("accept-language"),
                                   connection.cookies.get(COOKIE_NAME))
    return lang, known, bool(given) and known


class Language:
    """Middleware: the request's language bound for its handlers (and its error pages); an
    unknown `?lang=` answered by `refuse` (a 400 page); a chosen one kept in a cookie."""

    def __init__(self, app: ASGIApp, catalogs: Catalogs, refuse: ASGIApp) -> None:
        self.app = app
        self.catalogs = catalogs
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Bind the language, remember a chosen one, or refuse an unknown one."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lang, known, remember = chosen(scope)
        with speaking(self.catalogs, lang):
            if not known:
                await self.refuse(scope, receive, send)
                return
            if not remember:
                await self.app(scope, receive, send)
                return
            secure = "; Secure" if scope.get("scheme") == "https" else ""
            cookie = f"{COOKIE_NAME}={lang}; Max-Age={COOKIE_MAX_AGE_S}; Path=/console; HttpOnly; SameSite=Lax{secure}"

            async def send_remembering(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message.get("headers", []),
                                                      (b"set-cookie", cookie.encode("latin-1"))]}
                await send(message)

            await self.app(scope, receive, send_remembering)
