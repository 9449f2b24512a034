"""/v1/registry: the State Register of Digital Assets, readable by anyone (no token needed)."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import Engine

from digisom.http.permissions import Authorize
from digisom.http.render import READ_PROBLEMS, json
from digisom.http.services import Slot, provided
from digisom.kernel.access import Actor
from digisom.registry import register

REGISTER_DB: Final = Slot[Engine]("registry.db")


class AssetOut(BaseModel):
    """One entry of the register."""

    entry_id: str
    symbol: str
    asset: str
    issuer: str
    peg: str
    standard: str
    chain_id: int
    contract_address: str
    decimals: int
    reserve_report_url: str
    registered_at: str


class AssetList(BaseModel):
    """The register's entries."""

    items: list[AssetOut]


def router() -> APIRouter:
    """The public register routes."""
    r = APIRouter(tags=["stablecoin"])

    @r.get("/v1/registry/assets", response_model=AssetList, responses=READ_PROBLEMS)
    def assets(request: Request, _actor: Annotated[Actor, Depends(Authorize("registry.read"))]) -> JSONResponse:
        """The State Register of Digital Assets: issuer, chain, contract, decimals, reserve report link."""
        entries = register.entries(provided(request, REGISTER_DB))
        return json(AssetList(items=[AssetOut.model_validate(e.public()) for e in entries]))

    return r
