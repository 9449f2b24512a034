"""/v1/registry and /v1/stablecoin: the State Register of Digital Assets and the KGST
reserve reports, readable by anyone (no token needed).

Both read what the issuer's bridge and the register wrote into the database; the tables
are created (migrated) when the app is built (`attach`).
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Depends, FastAPI, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from digisom.api.permissions import Authorize
from digisom.api.problems import ApiProblem
from digisom.api.render import READ_PROBLEMS, json
from digisom.kernel.access import Actor
from digisom.registry import register
from digisom.stablecoin import migrations, repository

ADDRESS_PATTERN: Final = r"^0x[0-9a-fA-F]{40}$"


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


class ReserveOut(BaseModel):
    """The newest published supply-versus-reserve report of a token (amounts: integer strings)."""

    chain_id: int
    token_address: str
    decimals: int
    supply_token_units: str
    supply_tyiyn: str | None = Field(description="null when the supply is not a whole number of tyiyn")
    reserve_tyiyn: str
    mint_in_flight_tyiyn: str
    redeem_in_flight_tyiyn: str
    minter_allowance_token_units: str
    currency: str = "KGS"
    balanced: bool
    at: str


def attach(app: FastAPI) -> None:
    """Create the register's and the bridge's tables in the app's database."""
    engine: Engine = app.state.engine
    register.ensure_schema(engine)
    migrations.migrate(engine)


def router() -> APIRouter:
    """The public register and reserve routes."""
    r = APIRouter(tags=["stablecoin"])

    @r.get("/v1/registry/assets", response_model=AssetList, responses=READ_PROBLEMS)
    def assets(request: Request, _actor: Annotated[Actor, Depends(Authorize("registry.read"))]) -> JSONResponse:
        """The State Register of Digital Assets: issuer, chain, contract, decimals, reserve report link."""
        entries = register.entries(request.app.state.engine)
        return json(AssetList(items=[AssetOut.model_validate(e.public()) for e in entries]))

    @r.get("/v1/stablecoin/reserve/{token_address}", response_model=ReserveOut, responses=READ_PROBLEMS)
    def reserve(
        request: Request, _actor: Annotated[Actor, Depends(Authorize("stablecoin.reserve"))],
        token_address: Annotated[str, Path(pattern=ADDRESS_PATTERN, description="The token contract")],
    ) -> JSONResponse:
        """totalSupply against the digital som reserve, as the bridge last published it."""
        with request.app.state.engine.connect() as conn:
            found = repository.latest_report(conn, token_address)
        if found is None:
            raise ApiProblem(404, "not-found", "Not found", "no reserve report for that token")
        return json(ReserveOut(
            chain_id=found.chain_id, token_address=found.token_address, decimals=found.decimals,
            supply_token_units=str(found.supply_token_units),
            supply_tyiyn=None if found.supply_tyiyn is None else str(found.supply_tyiyn),
            reserve_tyiyn=str(found.reserve_tyiyn), mint_in_flight_tyiyn=str(found.mint_in_flight_tyiyn),
            redeem_in_flight_tyiyn=str(found.redeem_in_flight_tyiyn),
            minter_allowance_token_units=str(found.minter_allowance_token_units), balanced=found.balanced,
            at=found.at,
        ))

    return r
