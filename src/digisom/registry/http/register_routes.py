"""/v1/register: the State Register of Digital Assets. Registrars write (each change a
signed event); anyone reads the current view, the history and the whole log's export,
which `digisom register verify` checks with the register's public key."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from digisom.http import fields
from digisom.http.idempotency import IdempotencyKey, idempotent
from digisom.http.permissions import Authorize
from digisom.http.render import READ_PROBLEMS, WRITE_PROBLEMS
from digisom.http.services import provided
from digisom.kernel.access import Actor
from digisom.registry.assets import (
    AssetApplication,
    AssetEntry,
    AssetKind,
    AssetStatus,
    Deployment,
    Report,
    ReportKind,
)
from digisom.registry.chain import Event
from digisom.registry.http.slots import ASSET_REGISTER

SymbolPath = Annotated[str, Path(pattern=r"^[A-Z0-9]{2,16}$", description="An asset's symbol.")]
Text = Annotated[fields.PlainText, Field(min_length=1, max_length=200)]
Reason = Annotated[fields.PlainText, Field(min_length=1, max_length=2000)]
Sha = Annotated[str, Field(min_length=1, max_length=64)]


class ChainIn(BaseModel):
    chain_id: Annotated[int, Field(ge=1, le=2**62)]
    contract_address: Annotated[str, Field(max_length=42)]
    decimals: Annotated[int, Field(ge=0, le=36)]
    standard: Annotated[fields.PlainText, Field(min_length=1, max_length=32)]


class AssetIn(BaseModel):
    """An application for an entry."""

    symbol: Annotated[str, Field(max_length=16)]
    name: Text
    kind: Literal["fiat_backed", "commodity_backed", "other"]
    issuer: Text
    issuer_licence: Text
    peg: Text
    chains: Annotated[list[ChainIn], Field(min_length=1, max_length=20)]
    white_paper_sha256: Sha


class StatusIn(BaseModel):
    status: Literal["registered", "suspended", "delisted"]
    reason: Reason


class ReportIn(BaseModel):
    kind: Literal["reserve", "audit"]
    url: Annotated[fields.PlainText, Field(min_length=1, max_length=400)]
    sha256: Sha


def entry_json(entry: AssetEntry) -> dict[str, Any]:
    return entry.as_json()


def events_json(events: list[Event]) -> dict[str, Any]:
    return {"items": [e.as_json() for e in events]}


def _ok(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def router() -> APIRouter:
    """The register's routes."""
    r = APIRouter(prefix="/v1/register", tags=["register"])

    @r.get("/assets", responses=READ_PROBLEMS)
    def assets(request: Request, _a: Annotated[Actor, Depends(Authorize("register.read"))]) -> JSONResponse:
        """Every asset as it stands (the current view: the fold of its signed events)."""
        return _ok({"items": [entry_json(e) for e in provided(request, ASSET_REGISTER).entries()]})

    @r.get("/assets/{symbol}", responses=READ_PROBLEMS)
    def asset(request: Request, symbol: SymbolPath,
              _a: Annotated[Actor, Depends(Authorize("register.read"))]) -> JSONResponse:
        """One asset as it stands."""
        return _ok(entry_json(provided(request, ASSET_REGISTER).entry(symbol)))

    @r.get("/assets/{symbol}/history", responses=READ_PROBLEMS)
    def history(request: Request, symbol: SymbolPath,
                _a: Annotated[Actor, Depends(Authorize("register.read"))]) -> JSONResponse:
        """Every signed event of the asset, in order."""
        return _ok(events_json(provided(request, ASSET_REGISTER).history(symbol)))

    @r.get("/events", responses=READ_PROBLEMS)
    def events(request: Request, _a: Annotated[Actor, Depends(Authorize("register.read"))],
               after_seq: Annotated[int, Query(ge=0, le=2**62)] = 0,
               limit: Annotated[int, Query(ge=1, le=1000)] = 1000) -> JSONResponse:
        """The whole log (assets and VASP licensing), a page at a time."""
        return _ok(events_json(provided(request, ASSET_REGISTER).log.page(after_seq, limit)))

    @r.get("/export", responses=READ_PROBLEMS)
    def export(request: Request, _a: Annotated[Actor, Depends(Authorize("register.read"))]) -> JSONResponse:
        """The whole log with the register's public key: `digisom register verify` checks it."""
        return _ok(provided(request, ASSET_REGISTER).log.export())

    @r.post("/assets", status_code=201, responses=WRITE_PROBLEMS)
    def apply(request: Request, body: AssetIn, key: IdempotencyKey,
              actor: Annotated[Actor, Depends(Authorize("register.apply"))]) -> Response:
        """Enter an application for an asset (status `applied`)."""
        def produce() -> Response:
            application = AssetApplication(
                body.symbol, body.name, AssetKind(body.kind), body.issuer, body.issuer_licence, body.peg,
                tuple(Deployment(c.chain_id, c.contract_address, c.decimals, c.standard) for c in body.chains),
                body.white_paper_sha256)
            return _ok(entry_json(provided(request, ASSET_REGISTER).apply(application, actor.principal)), 201)
        return idempotent(request, actor, key, body, produce)

    @r.post("/assets/{symbol}/status", responses=WRITE_PROBLEMS)
    def status(request: Request, symbol: SymbolPath, body: StatusIn, key: IdempotencyKey,
               actor: Annotated[Actor, Depends(Authorize("register.status"))]) -> Response:
        """Register, suspend or delist an entry, with the reason (only the allowed transitions)."""
        def produce() -> Response:
            entry = provided(request, ASSET_REGISTER).transition(symbol, AssetStatus(body.status), body.reason,
                                                                 actor.principal)
            return _ok(entry_json(entry))
        return idempotent(request, actor, key, body, produce)

    @r.post("/assets/{symbol}/reports", responses=WRITE_PROBLEMS)
    def report(request: Request, symbol: SymbolPath, body: ReportIn, key: IdempotencyKey,
               actor: Annotated[Actor, Depends(Authorize("register.report"))]) -> Response:
        """Publish a reserve or audit report of the asset: its URL and SHA-256."""
        def produce() -> Response:
            entry = provided(request, ASSET_REGISTER).add_report(
                symbol, Report(ReportKind(body.kind), body.url, body.sha256), actor.principal)
            return _ok(entry_json(entry))
        return idempotent(request, actor, key, body, produce)

    return r
