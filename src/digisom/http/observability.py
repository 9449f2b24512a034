"""Every request observed: a request id, one structured log line, and its latency.

The request id is the caller's `X-Request-Id` when it is a short token (a load balancer's,
so that lines join across systems), otherwise a fresh one; it is bound to the logging
context for everything the request logs and returned in the response's `X-Request-Id`.
The latency is reported by route template (`/v1/wallets/{wallet_id}`), never by raw path:
ids in paths would make one time series per wallet.

The log line goes through a structlog logger wrapped around the standard library's
`digisom.http` logger as one JSON object, so nothing is printed unless the process
configures logging (`digisom serve` does); tests stay quiet.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any, Final, Protocol

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER: Final = "x-request-id"
# What a request id from outside may look like: anything else is replaced, never logged.
REQUEST_ID_PATTERN: Final = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
UNMATCHED_ROUTE: Final = "unmatched"
LOGGER_NAME: Final = "digisom.http"


class RequestObserver(Protocol):
    """Told of every finished request (the metrics' HTTP histogram)."""

    def request_finished(self, method: str, route: str, status: int, seconds: float) -> None:
        """`method` on `route` (a template) answered `status` after `seconds`."""


def request_logger() -> Any:
    """A structlog logger writing one JSON object per event to the `digisom.http` logger,
    with the bound request id and a UTC timestamp."""
    return structlog.wrap_logger(
        logging.getLogger(LOGGER_NAME),
        processors=[structlog.contextvars.merge_contextvars, structlog.processors.add_log_level,
                    structlog.processors.TimeStamper(fmt="iso", utc=True), structlog.processors.JSONRenderer()],
        wrapper_class=structlog.stdlib.BoundLogger,
    )


def request_id_from(headers: Headers) -> str:
    """The caller's request id if it is a short token, else a fresh one."""
    given = headers.get(REQUEST_ID_HEADER, "")
    return given if REQUEST_ID_PATTERN.fullmatch(given) else uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    """The matched route's path template, set on the scope by the router; `unmatched` if none."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else UNMATCHED_ROUTE


class ObserveRequests:
    """ASGI middleware: request id, latency to `observer`, one log line per request.
    Installed outermost, so that it also times the gate and the body limit's refusals."""

    def __init__(self, app: ASGIApp, observer: RequestObserver) -> None:
        self.app = app
        self.observer = observer
        self.log = request_logger()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(Headers(scope=scope))
        started_s = time.perf_counter()
        status = 500  # what the client sees if the app fails before it answers

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            finally:
                seconds = time.perf_counter() - started_s
                route = route_template(scope)
                self.observer.request_finished(scope["method"], route, status, seconds)
                self.log.info("request", method=scope["method"], route=route, status=status,
                              duration_ms=round(seconds * 1000, 3))
