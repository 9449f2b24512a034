"""/v1/stablecoin: the KGST reserve reports, readable by anyone (no token needed), as the
issuer's bridge wrote them into the database."""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from digisom.http.permissions import Authorize
from digisom.http.problems import ApiProblem
from digisom.http.render import READ_PROBLEMS, json
from digisom.kernel.access import Actor
from digisom.stablecoin import repository
from digisom.stablecoin.http.slots import stablecoin_db

ADDRESS_PATTERN: Final = r"^0x[0-9a-fA-F]{40}$"


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


def router() -> APIRouter:
    """The public reserve routes."""
    r = APIRouter(tags=["stablecoin"])

    @r.get("/v1/stablecoin/reserve/{token_address}", response_model=ReserveOut, responses=READ_PROBLEMS)
    def reserve(
        request: Request, _actor: Annotated[Actor, Depends(Authorize("stablecoin.reserve"))],
        token_address: Annotated[str, Path(pattern=ADDRESS_PATTERN, description="The token contract")],
    ) -> JSONResponse:
        """totalSupply against the digital som reserve, as the bridge last published it."""
        with stablecoin_db(request).connect() as conn:
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
