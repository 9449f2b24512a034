"""/v1/por: custodians publish liabilities roots with their reserves; anyone reads them and
checks a proof against one. A proof is checked, never stored, and no route serves one: a
customer gets theirs from the custodian, so nobody reads another's."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from digisom.http.idempotency import IdempotencyKey, idempotent
from digisom.http.pagination import PAGE_LIMIT_DEFAULT, Cursor, Limit, decode_cursor, offset_cursor
from digisom.http.permissions import Authorize
from digisom.http.problems import ApiProblem
from digisom.http.render import READ_PROBLEMS, WRITE_PROBLEMS, json
from digisom.http.services import provided
from digisom.kernel.access import Actor
from digisom.por import publication
from digisom.por.errors import PorError
from digisom.por.http.slots import POR_CHAIN, POR_DB, POR_NOW

CUSTODIAN_PATTERN: Final = r"^[a-z0-9][a-z0-9-]{0,63}$"
CustodianPath = Annotated[str, Path(pattern=CUSTODIAN_PATTERN, description="A custodian's id (its token subject).")]
RootPath = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="A root hash, hex.")]


class PublishIn(BaseModel):
    """root.json of `digisom por build` and reserves.json of `digisom por attest`."""

    root: dict[str, Any]
    reserves: dict[str, Any]


class PublishedOut(BaseModel):
    custodian_id: str
    root: dict[str, Any]
    reserves: dict[str, Any]
    reserve_check: dict[str, Any]
    published_by: str
    published_at: str


class PublishedList(BaseModel):
    items: list[PublishedOut]
    next_cursor: str | None


class VerifyIn(BaseModel):
    root_id: str = Field(pattern=r"^[0-9a-f]{64}$")
    proof: dict[str, Any]


class VerifyOut(BaseModel):
    valid: bool
    reason: str | None


def _out(published: publication.Published) -> PublishedOut:
    return PublishedOut(custodian_id=published.custodian_id, root=published.root, reserves=published.reserves,
                        reserve_check=published.reserve_check, published_by=published.published_by,
                        published_at=published.published_at)


def _problem(error: PorError) -> ApiProblem:
    if isinstance(error, publication.RootUnknown):
        return ApiProblem(404, "not-found", "Not found", str(error))
    if isinstance(error, publication.RootExists):
        return ApiProblem(409, "por-root-published", "Root already published", str(error))
    return ApiProblem(422, "por-invalid", "Invalid root or reserves", str(error))


def router() -> APIRouter:
    r = APIRouter(prefix="/v1/por", tags=["proof of reserves"])

    @r.post("/custodians/{custodian_id}/roots", status_code=201, response_model=PublishedOut,
            responses=WRITE_PROBLEMS)
    def publish(request: Request, custodian_id: CustodianPath, body: PublishIn, key: IdempotencyKey,
                actor: Annotated[Actor, Depends(Authorize("por.roots.publish"))]) -> Response:
        """Publish a liabilities root with the reserves attestation covering it (a VASP for
        itself, the stablecoin issuer for itself). The reserves are checked now, through
        the chain, and the verdict is published with them."""
        if actor.subject != custodian_id:
            raise ApiProblem(403, "forbidden", "Forbidden", "a custodian publishes only its own roots")

        def produce() -> Response:
            try:
                published = publication.publish(provided(request, POR_DB), custodian_id, body.root, body.reserves,
                                                provided(request, POR_CHAIN), actor.principal[:64],
                                                provided(request, POR_NOW)())
            except PorError as error:
                raise _problem(error) from None
            return json(_out(published), 201)
        return idempotent(request, actor, key, body, produce)

    @r.get("/roots", response_model=PublishedList, responses=READ_PROBLEMS)
    def roots(request: Request, _actor: Annotated[Actor, Depends(Authorize("por.roots.list"))],
              custodian_id: Annotated[str | None, Query(pattern=CUSTODIAN_PATTERN)] = None,
              cursor: Cursor = None, limit: Limit = PAGE_LIMIT_DEFAULT) -> JSONResponse:
        """Published roots, newest first, with their reserves and the reserves check, a page
        at a time. A root published while you page moves the later pages by one: you may see
        a root twice, never miss one."""
        offset = decode_cursor(cursor)
        found = publication.listed(provided(request, POR_DB), custodian_id, offset, limit)
        return json(PublishedList(items=[_out(item) for item in found],
                                  next_cursor=offset_cursor(offset, limit, found)))

    @r.get("/roots/{root_id}", response_model=PublishedOut, responses=READ_PROBLEMS)
    def root(request: Request, root_id: RootPath,
             _actor: Annotated[Actor, Depends(Authorize("por.roots.read"))]) -> JSONResponse:
        """One published root, its reserves and the reserves check."""
        try:
            return json(_out(publication.read(provided(request, POR_DB), root_id)))
        except PorError as error:
            raise _problem(error) from None

    @r.post("/verify", response_model=VerifyOut, responses=READ_PROBLEMS)
    def verify(request: Request, body: VerifyIn,
               _actor: Annotated[Actor, Depends(Authorize("por.proofs.verify"))]) -> JSONResponse:
        """Check a customer's proof against a published root: valid, or the reason it is
        not. Nothing is stored."""
        try:
            reason = publication.check_proof(provided(request, POR_DB), body.root_id, body.proof)
        except PorError as error:
            raise _problem(error) from None
        return json(VerifyOut(valid=reason is None, reason=reason))

    return r
