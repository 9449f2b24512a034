"""gzip for the public portal's pages and static files, and for nothing else.

A portal page is 5-27 KB of HTML and inline SVG that compresses to about a fifth: what a
pensioner's phone on a weak mountain link waits for. The pages carry no secret and are the
same for every reader, so compressing them leaks nothing (BREACH needs a secret and
attacker-controlled text in one compressed response). The console's pages carry a CSRF
token and the API's answers carry customers' data, so they are never compressed here; a
reverse proxy in front must keep to the same rule.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Final

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

# Level 6: nearly level 9's size for a page at a fraction of its CPU.
COMPRESS_LEVEL: Final = 6
MINIMUM_BYTES: Final = 500  # smaller answers would gain less than gzip's own framing
STATIC_PREFIX: Final = "/static/"


class PortalCompression:
    """ASGI middleware: responses to `pages` and the portal's static files gzip-compressed
    when the browser accepts it; every other path passes through untouched."""

    def __init__(self, app: ASGIApp, pages: Collection[str]) -> None:
        self._app = app
        self._gzip = GZipMiddleware(app, minimum_size=MINIMUM_BYTES, compresslevel=COMPRESS_LEVEL)
        self._pages = frozenset(pages)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        public = scope["type"] == "http" and (scope["path"] in self._pages or scope["path"].startswith(STATIC_PREFIX))
        await (self._gzip if public else self._app)(scope, receive, send)
