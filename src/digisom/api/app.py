"""`create_app`: the FastAPI application, built from its dependencies (no globals).

Limits on every input: the body size here, string lengths and patterns in the
schemas, page sizes in `pagination`, the QR payload length in the codec.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from fastapi import APIRouter, FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from digisom.api import (
    offline_wiring,
    problems,
    routes_aliases,
    routes_benefits,
    routes_disbursement,
    routes_interbank,
    routes_issuance,
    routes_ledger,
    routes_offline,
    routes_participants,
    routes_payments,
    routes_qr,
    routes_stablecoin,
    routes_wallets,
)
from digisom.api.auth import TokenVerifier
from digisom.cbdc.service import CbdcService

# The largest request any route needs (opening a wallet) is under 2 KiB.
BODY_BYTES_MAX: Final = 16 * 1024
API_VERSION: Final = "1.0.0"
# Routes that take files get their own, larger limit (path pattern, bytes).
ROUTE_BODY_LIMITS: Final = ((re.compile(routes_disbursement.UPLOAD_PATH_PATTERN),
                             routes_disbursement.UPLOAD_BODY_BYTES_MAX),)


class BodyLimit:
    """Refuse bodies over `max_bytes` (413), and bodies of unknown length (411), before
    the app reads them: a client cannot make the server buffer an endless upload."""

    def __init__(self, app: ASGIApp, max_bytes: int = BODY_BYTES_MAX,
                 route_limits: Sequence[tuple[re.Pattern[str], int]] = ROUTE_BODY_LIMITS) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.route_limits = route_limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the declared length, then pass the request on."""
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            headers = dict(scope["headers"])
            max_bytes = next((n for pattern, n in self.route_limits if pattern.match(scope["path"])), self.max_bytes)
            length = headers.get(b"content-length")
            if length is None and headers.get(b"transfer-encoding"):
                response = problems.problem_response(411, "length-required", "Length required",
                                                     "send a Content-Length header")
                await response(scope, receive, send)
                return
            if length is not None and (not length.isdigit() or int(length) > max_bytes):
                response = problems.problem_response(413, "payload-too-large", "Request body too large",
                                                     f"at most {max_bytes} bytes", limit_bytes=max_bytes)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def routers() -> list[APIRouter]:
    """Every route of the API, by resource (the permission matrix is read from these)."""
    modules = (routes_disbursement,
               routes_participants, routes_issuance, routes_wallets, routes_payments, routes_qr, routes_ledger,
               routes_offline, routes_interbank, routes_stablecoin)
    return [module.router() for module in modules] + [routes_aliases.router(), routes_benefits.router()]


def create_app(service: CbdcService, verifier: TokenVerifier, body_bytes_max: int = BODY_BYTES_MAX) -> FastAPI:
    """The API over `service`, accepting tokens `verifier` trusts."""
    app = FastAPI(
        title="digisom: the digital som API",
        version=API_VERSION,
        description="Two-tier issuance, wallets, payments and QR codes of the digital som (KGS 417). "
        "Amounts are strings of integer tyiyn (1 som = 100 tyiyn) with the currency beside them. "
        "Errors are RFC 9457 problem+json; every POST takes an Idempotency-Key header.",
    )
    app.state.service = service
    app.state.engine = service.ctx.engine
    app.state.verifier = verifier
    problems.install(app)
    offline_wiring.attach(app)
    routes_interbank.attach(app)
    routes_stablecoin.attach(app)
    for router in routers():
        app.include_router(router)
    _add_problem_schema(app)
    app.add_middleware(BodyLimit, max_bytes=body_bytes_max)
    return app


def _add_problem_schema(app: FastAPI) -> None:
    """Put `Problem` into the OpenAPI components, where every error response points."""
    build = app.openapi

    def openapi() -> dict[str, object]:
        if app.openapi_schema is None:
            schema = build()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components["Problem"] = problems.Problem.model_json_schema()
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
