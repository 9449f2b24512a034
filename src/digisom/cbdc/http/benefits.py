"""/v1/benefit-schemes: purpose-bound benefits (merchant categories, a last day, and the
return of the unspent part to the treasury)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response

from digisom.cbdc.http import schemas_benefits as sb
from digisom.cbdc.http.slots import service
from digisom.http.idempotency import IdempotencyKey, idempotent
from digisom.http.permissions import Authorize
from digisom.http.render import READ_PROBLEMS, WRITE_PROBLEMS, json
from digisom.kernel.access import Actor

SchemePath = Annotated[str, Path(pattern=r"^b[a-z2-7]{24}$", description="A benefit scheme id.")]


def router() -> APIRouter:
    """The benefit-scheme routes."""
    r = APIRouter(prefix="/v1/benefit-schemes", tags=["benefits"])

    @r.post("", status_code=201, response_model=sb.BenefitSchemeOut, responses=WRITE_PROBLEMS)
    def create(
        request: Request, body: sb.BenefitSchemeIn, key: IdempotencyKey,
        actor: Annotated[Actor, Depends(Authorize("benefits.create"))],
    ) -> Response:
        """A treasury operator creates a scheme: allowed merchant categories, the last day
        (Asia/Bishkek), and the treasury wallet the unspent part returns to."""
        return idempotent(request, actor, key, body, lambda: json(sb.scheme_out(service(request).create_benefit_scheme(
            actor, key, body.name, body.categories, body.expires_on, body.treasury_wallet_id)), 201))

    @r.get("/{scheme_id}", response_model=sb.BenefitSchemeOut, responses=READ_PROBLEMS)
    def read(
        request: Request, scheme_id: SchemePath, _actor: Annotated[Actor, Depends(Authorize("benefits.read"))]
    ) -> JSONResponse:
        """A scheme's terms (not personal data: every authenticated role may read them)."""
        return json(sb.scheme_out(service(request).benefit_scheme(scheme_id)))

    @r.post("/{scheme_id}/expiry", response_model=sb.BenefitExpiryOut, responses=WRITE_PROBLEMS)
    def expire(
        request: Request, scheme_id: SchemePath, key: IdempotencyKey,
        actor: Annotated[Actor, Depends(Authorize("benefits.expire"))],
    ) -> Response:
        """After the last day: every unspent benefit of the scheme returns to its treasury
        wallet, in ledger batches. Resumable: a retry finishes what a failure left and
        moves nothing twice (409 `benefit-not-expired` before)."""
        return idempotent(request, actor, key, None, lambda: json(sb.expiry_out(service(request).expire_benefits(
            actor, scheme_id, key))))

    return r
