"""/v1/aliases: the banks' alias directory (personal number -> wallet or bank account).

A bank operator keeps its own customers' aliases; nobody else reads them over the API
(the treasury's disbursement wiring resolves numbers inside the server)."""

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

PersonalNumberPath = Annotated[
    str, Path(pattern=sb.PERSONAL_NUMBER_PATTERN, description="A person's 14-digit personal number (PIN/INN).")
]


def router() -> APIRouter:
    """The alias routes."""
    r = APIRouter(prefix="/v1/aliases", tags=["aliases"])

    @r.put("/{personal_number}", response_model=sb.AliasOut, responses=WRITE_PROBLEMS)
    def register(
        request: Request, personal_number: PersonalNumberPath, body: sb.AliasIn, key: IdempotencyKey,
        actor: Annotated[Actor, Depends(Authorize("aliases.register"))],
    ) -> Response:
        """Register or replace the alias of one of the bank's customers: its wallet at this
        bank or its account here. Other banks' registrations of the number play no part (the
        answer is the same whether or not another bank holds it)."""
        return idempotent(request, actor, key, body, lambda: json(sb.alias_out(service(request).register_alias(
            actor, personal_number, body.wallet_id, body.bank_account))))

    @r.delete("/{personal_number}", status_code=204, response_class=Response, responses=WRITE_PROBLEMS)
    def remove(
        request: Request, personal_number: PersonalNumberPath, key: IdempotencyKey,
        actor: Annotated[Actor, Depends(Authorize("aliases.remove"))],
    ) -> Response:
        """Remove the bank's alias of the number; afterwards the bank holds none (204 either way)."""

        def produce() -> Response:
            service(request).remove_alias(actor, personal_number)
            return Response(status_code=204)

        return idempotent(request, actor, key, None, produce)

    @r.get("/{personal_number}", response_model=sb.AliasOut, responses=READ_PROBLEMS)
    def read(
        request: Request, personal_number: PersonalNumberPath,
        actor: Annotated[Actor, Depends(Authorize("aliases.read"))],
    ) -> JSONResponse:
        """The bank's own alias of the number (another bank's is 404, like an absent one)."""
        return json(sb.alias_out(service(request).alias(actor, personal_number)))

    return r
