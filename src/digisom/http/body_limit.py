"""`BodyLimit`: limits enforced on the bytes a request actually sends, whatever its framing.

A declared `Content-Length` over the limit is refused before anything is read. Every
`http.request` message the app receives is counted: a chunked body, or one whose
`Content-Length` lies, is refused (413) as soon as the count passes the limit, with at
most one chunk read beyond it. A JSON body is scanned for its nesting as it arrives and
refused (422) past `json_depth.JSON_DEPTH_MAX` levels, before any parser sees it.
After a refusal the app is told the client left (`http.disconnect`) and whatever it
still tries to send is dropped. A response sent before the body was read whole (a route
that takes no body, a refusal) says `Connection: close`, so the server drops the rest
instead of reading it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from digisom.http import problems
from digisom.kernel.json_depth import JSON_DEPTH_MAX, JsonDepthScan, is_json_media_type

_DISCONNECT: Message = {"type": "http.disconnect"}


def has_body(headers: Headers) -> bool:
    """Whether the request announces a body (a length other than 0, or a transfer coding)."""
    length = headers.get("content-length")
    return (length is not None and length != "0") or "transfer-encoding" in headers


def too_large(max_bytes: int) -> JSONResponse:
    """The 413 problem for a body over `max_bytes`."""
    return problems.problem_response(413, "payload-too-large", "Request body too large",
                                     f"at most {max_bytes} bytes", limit_bytes=max_bytes)


def too_deep(depth_max: int) -> JSONResponse:
    """The 422 problem for JSON nested deeper than `depth_max`."""
    return problems.problem_response(422, "json-too-deep", "JSON nested too deep",
                                     f"at most {depth_max} levels of arrays and objects", depth_max=depth_max)


@dataclass
class _Request:
    """One request's count of body bytes and whether it was refused."""

    max_bytes: int
    scan: JsonDepthScan | None
    body_complete: bool
    received_bytes: int = 0
    refused: bool = False
    response_started: bool = False

    def check(self, body: bytes) -> JSONResponse | None:
        """The refusal `body` (the next chunk) earns, if any."""
        self.received_bytes += len(body)
        if self.received_bytes > self.max_bytes:
            return too_large(self.max_bytes)
        if self.scan is not None and not self.scan.feed(body):
            return too_deep(self.scan.depth_max)
        return None


class BodyLimit:
    """Refuse bodies over `max_bytes` (or a route's own limit) and JSON nested too deep,
    counting the bytes received (module docstring)."""

    def __init__(self, app: ASGIApp, max_bytes: int, route_limits: Sequence[tuple[re.Pattern[str], int]] = (),
                 json_depth_max: int = JSON_DEPTH_MAX) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.route_limits = route_limits
        self.json_depth_max = json_depth_max

    def limit_for(self, path: str) -> int:
        """The body limit of the route at `path`, in bytes."""
        return next((n for pattern, n in self.route_limits if pattern.match(path)), self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse a declared length over the limit; else pass the request on, counted."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        max_bytes = self.limit_for(scope["path"])
        declared = headers.get("content-length")
        if declared is not None and (not (declared.isascii() and declared.isdigit()) or int(declared) > max_bytes):
            await problems.send_before_body(too_large(max_bytes), scope, send)
            return
        scan = JsonDepthScan(self.json_depth_max) if is_json_media_type(headers.get("content-type")) else None
        request = _Request(max_bytes, scan, body_complete=not has_body(headers))

        async def counted_receive() -> Message:
            if request.refused:
                return _DISCONNECT
            message = await receive()
            if message["type"] != "http.request":
                return message
            refusal = request.check(message.get("body", b""))
            if refusal is None:
                request.body_complete = not message.get("more_body", False)
                return message
            request.refused = True
            if not request.response_started:
                await problems.send_before_body(refusal, scope, send)
            return _DISCONNECT

        async def guarded_send(message: Message) -> None:
            if request.refused:
                return  # the refusal is the answer; the app's own reply to the disconnect is dropped
            if message["type"] == "http.response.start":
                request.response_started = True
                if not request.body_complete:
                    message = {**message, "headers": [*message.get("headers", ()), (b"connection", b"close")]}
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            # The app's reaction to the disconnect it was told of (ClientDisconnect) is no error.
            if not request.refused:
                raise
