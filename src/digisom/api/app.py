"""`create_app`: the FastAPI application, built from its dependencies (no globals).

Limits on every input: authentication before any body is read (`gate`), the body size
and JSON depth on the bytes received (`body_limit`), string lengths and patterns in the
schemas, page sizes in `pagination`, the QR payload length in the codec.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute
from starlette.types import ASGIApp

from digisom.api import interbank_wiring, offline_wiring, por_wiring, reserve_wiring, usdkg_wiring
from digisom.api.response_store import response_store
from digisom.cbdc.http import aliases, benefits, issuance, ledger, participants, payments, qr, wallets
from digisom.cbdc.http.slots import CBDC_SERVICE
from digisom.cbdc.service import CbdcService
from digisom.cbdc.wallet_access import CbdcWalletAccess
from digisom.compliance.http import routes as compliance_routes
from digisom.console import api_routes as console_sessions
from digisom.disbursement.http import routes as disbursement_routes
from digisom.http import body_limit, ops, problems, revocation_routes
from digisom.http.auth import TokenVerifier
from digisom.http.gate import Gate
from digisom.http.idempotency import RESPONSES
from digisom.http.services import provide
from digisom.http.wallet_access import WALLET_ACCESS
from digisom.interbank.http import routes as interbank_routes
from digisom.interbank.lsm import LSM_RULES, SettlementRules
from digisom.interbank.ports import PartyScreening
from digisom.merchants.http import routes as merchants_routes
from digisom.offline.http import routes as offline_routes
from digisom.por.http import routes as por_routes
from digisom.por.reserves import HolderBalances as PorHolderBalances
from digisom.portal import routes as portal_routes
from digisom.portal.compression import PortalCompression
from digisom.portal.render import PORTAL, Portal
from digisom.registry import register
from digisom.registry.http import register_routes, vasp_routes
from digisom.registry.http import routes as registry_routes
from digisom.remittance.http import routes as remittance_routes
from digisom.reserve.http import routes as reserve_routes
from digisom.stablecoin import migrations as stablecoin_migrations
from digisom.stablecoin.http import routes as stablecoin_routes
from digisom.stablecoin.http.slots import STABLECOIN_DB
from digisom.transparency.http import routes as transparency_routes
from digisom.travelrule.http import routes as travelrule_routes
from digisom.usdkg.http import routes as usdkg_routes
from digisom.usdkg.issuer import HolderBalances
from digisom.vasp_reports.http import routes as vasp_reports_routes

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

    # the EVM stack loads only where a chain is configured
    from digisom.chain.usdkg import UsdkgChainToken

# The largest request any route needs (opening a wallet) is under 2 KiB.
BODY_BYTES_MAX: Final = 16 * 1024
API_VERSION: Final = "1.0.0"
# Routes that take files get their own, larger limit (path pattern, bytes).
ROUTE_BODY_LIMITS: Final = ((re.compile(disbursement_routes.UPLOAD_PATH_PATTERN),
                              disbursement_routes.UPLOAD_BODY_BYTES_MAX),
                             (re.compile(usdkg_routes.UPLOAD_PATH_PATTERN), usdkg_routes.UPLOAD_BODY_BYTES_MAX),
                             (re.compile(vasp_routes.UPLOAD_PATH_PATTERN), vasp_routes.UPLOAD_BODY_BYTES_MAX),
                             (re.compile(vasp_reports_routes.UPLOAD_PATH_PATTERN),
                              vasp_reports_routes.UPLOAD_BODY_BYTES_MAX))


class BodyLimit(body_limit.BodyLimit):
    """`body_limit.BodyLimit` with this API's limits: `max_bytes` for every route but
    those in `route_limits`."""

    def __init__(self, app: ASGIApp, max_bytes: int = BODY_BYTES_MAX,
                 route_limits: Sequence[tuple[re.Pattern[str], int]] = ROUTE_BODY_LIMITS) -> None:
        super().__init__(app, max_bytes, route_limits)


def routers() -> list[APIRouter]:
    """Every route of the API, by resource (the permission matrix is read from these)."""
    modules = (disbursement_routes, participants, issuance, wallets, payments, qr, ledger, offline_routes,
               interbank_routes, registry_routes, stablecoin_routes, aliases, benefits, usdkg_routes, remittance_routes,
               compliance_routes, register_routes, vasp_routes, vasp_reports_routes, travelrule_routes, por_routes,
               merchants_routes, reserve_routes, transparency_routes, ops, portal_routes, console_sessions,
               revocation_routes)
    return [module.router() for module in modules]


def create_app(service: CbdcService, verifier: TokenVerifier, body_bytes_max: int = BODY_BYTES_MAX,
               rtgs_clock: Callable[[], datetime] | None = None,
               usdkg_chains: Mapping[int, UsdkgChainToken] | None = None,
               usdkg_holders: HolderBalances | None = None, tracer_provider: TracerProvider | None = None,
               por_chain: PorHolderBalances | None = None, *, interbank_screening: PartyScreening,
               reserve: reserve_wiring.ReserveSetup | None = None,
               rtgs_rules: SettlementRules = LSM_RULES) -> FastAPI:
    """The API over `service`, accepting tokens `verifier` trusts: every domain's routes,
    and in their slots what the routes need (`digisom.http.services`). The RTGS runs on
    `rtgs_clock` if given, else on the digital som's clock; USDKG reads its supply from
    and mints on `usdkg_chains` (chain id -> the token there; none configured: supply 0,
    said so) and looks up holders in `usdkg_holders` (none: the lookup is refused)."""
    app = FastAPI(
        # FastAPI's own OpenTelemetry spans, only with the runtime's provider (never a global one);
        # metrics are Prometheus's (`api.metrics`) and logs our request line.
        telemetry={"tracing": tracer_provider is not None, "tracer_provider": tracer_provider,
                   "metrics": False, "logs": False},
        title="digisom: the digital som API",
        version=API_VERSION,
        description="Two-tier issuance, wallets, payments and QR codes of the digital som (KGS 417). "
        "Amounts are strings of integer tyiyn (1 som = 100 tyiyn) with the currency beside them. "
        "Errors are RFC 9457 problem+json; every POST takes an Idempotency-Key header.",
    )
    app.state.verifier = verifier
    problems.install(app)
    ctx = service.ctx
    provide(app, CBDC_SERVICE, service)
    provide(app, RESPONSES, response_store(ctx.engine, ctx.now_iso))
    provide(app, WALLET_ACCESS, CbdcWalletAccess(ctx))
    register.ensure_schema(ctx.engine)
    stablecoin_migrations.migrate(ctx.engine)
    provide(app, registry_routes.REGISTER_DB, ctx.engine)
    provide(app, STABLECOIN_DB, ctx.engine)
    offline_wiring.attach(app, ctx)
    interbank_wiring.attach(app, ctx.engine, rtgs_clock or ctx.clock, screening=interbank_screening,
                            rules=rtgs_rules)
    usdkg_wiring.attach(app, ctx.engine, ctx.clock, usdkg_chains, usdkg_holders)
    por_wiring.attach(app, ctx.engine, ctx.now_iso, por_chain)
    reserve_wiring.attach(app, ctx.engine, ctx.clock, reserve)
    provide(app, PORTAL, Portal.build())  # the public pages read the slots above as each request comes
    every_router = routers()
    for router in every_router:
        app.include_router(router)
    _add_problem_schema(app)
    # The last added runs first: the size of what is received, then who sends it, both
    # before the app reads (and FastAPI parses) a body.
    api_routes = [route for router in every_router for route in router.routes if isinstance(route, APIRoute)]
    app.add_middleware(PortalCompression, pages=portal_routes.PAGES)
    app.add_middleware(Gate, routes=api_routes, verifier=verifier)
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
