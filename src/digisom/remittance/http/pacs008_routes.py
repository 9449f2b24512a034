"""/v1/remittances/pacs008: rail 3, a partner's ISO 20022 pacs.008 in (application/xml),
a pacs.002 out (docs/remittance.md, "Rail 3"). Kept apart from `routes` so that the
JSON rails and this one change independently; `routes.router` mounts it.

The caller is authenticated and authorised before the body is read; the body then goes
to the `PaymentMessages` port (size limits, XML defences, schema validation) and the
transfer onto rail 1's send path as the caller's (its token's subject is its partner id).
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from digisom.http.idempotency import IdempotencyKey, idempotent
from digisom.http.permissions import Authorize
from digisom.http.problems import ApiProblem, problem_responses
from digisom.kernel.access import Actor
from digisom.remittance import pacs008
from digisom.remittance.http.slots import messages, service

XML_MEDIA_TYPES: Final = frozenset({"application/xml", "text/xml"})
STATUS_HEADER: Final = "Digisom-Transaction-Status"
_PROBLEM: Final = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


class MessageDigest(BaseModel):
    """What the idempotency key is bound to: the message's bytes, by their SHA-256."""

    sha256: str


def add(r: APIRouter) -> None:
    """Mount rail 3's route on the remittance router."""

    @r.post("/pacs008", response_class=Response, summary="Send a remittance as an ISO 20022 pacs.008",
            responses={200: {"description": "A pacs.002: ACSC paid, PDNG held for review, RJCT returned",
                             "content": {"application/xml": {"schema": {"type": "string"}}}},
                       **problem_responses(401, 403, 404, 409, 413, 422),
                       415: {"description": "Not application/xml", "content": _PROBLEM}},
            openapi_extra={"requestBody": {"required": True, "content": {
                "application/xml": {"schema": {"type": "string", "description": "pacs.008.001.08"}}}}})
    async def send_pacs008(request: Request, key: IdempotencyKey,
                           actor: Annotated[Actor, Depends(Authorize("remittance.pacs008"))]) -> Response:
        """Pay out the pacs.008's one transaction (idempotent by its EndToEndId): answered by a
        pacs.002 (HTTP 200). A message that does not parse or lacks what rail 3 needs is a
        problem (`remittance-message-invalid` with its ISO `reason_code`), as is rail 1's bad
        input (quote unknown or expired, reference conflict, travel rule); nothing recorded."""
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type not in XML_MEDIA_TYPES:
            raise ApiProblem(415, "unsupported-media-type", "Unsupported media type", "send application/xml")
        body = await request.body()

        def produce() -> Response:
            transfer = messages(request).read_customer_transfer(body)
            answer = pacs008.receive(service(request), actor.subject, transfer)
            return Response(messages(request).status_report(transfer, answer), media_type="application/xml",
                            headers={STATUS_HEADER: answer.status.value})

        digest = MessageDigest(sha256=hashlib.sha256(body).hexdigest())
        return await run_in_threadpool(idempotent, request, actor, key, digest, produce)
