"""/v1/participants, /v1/policy, /v1/public: who takes part, the tier policy, the
published aggregate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response

from digisom.cbdc.http import schemas as s
from digisom.cbdc.http.slots import service
from digisom.http.idempotency import IdempotencyKey, idempotent
from digisom.http.pagination import Cursor, Limit, decode_cursor, encode_cursor
from digisom.http.permissions import Authorize
from digisom.http.render import READ_PROBLEMS, WRITE_PROBLEMS, json
from digisom.kernel.access import Actor


def router() -> APIRouter:
    """The participants, policy and public routes."""
    r = APIRouter(prefix="/v1")

    @r.post("/participants", status_code=201, response_model=s.ParticipantOut, responses=WRITE_PROBLEMS,
            tags=["participants"])
    def register_participant(
        request: Request, body: s.ParticipantIn, key: IdempotencyKey,
        actor: Annotated[Actor, Depends(Authorize("participants.register"))],
    ) -> Response:
        """Register a bank, payment provider, treasury or ministry (central bank)."""
        return idempotent(request, actor, key, body, lambda: json(s.participant_out(
            service(request).register_participant(body.id, body.kind, body.name, body.bank_code)), 201))

    @r.get("/participants", response_model=s.ParticipantPage, responses=READ_PROBLEMS, tags=["participants"])
    def list_participants(
        request: Request, _actor: Annotated[Actor, Depends(Authorize("participants.list"))],
        cursor: Cursor = None, limit: Limit = 50,
    ) -> JSONResponse:
        """Participants in registration order."""
        found = service(request).participants(decode_cursor(cursor), limit)
        return json(s.ParticipantPage(items=[s.participant_out(p) for p in found.items],
                                      next_cursor=encode_cursor(found.next_after)))

    @r.get("/participants/{participant_id}", response_model=s.ParticipantOut, responses=READ_PROBLEMS,
           tags=["participants"])
    def get_participant(
        request: Request, participant_id: Annotated[str, Path(pattern=s.PATH_ID_PATTERN)],
        _actor: Annotated[Actor, Depends(Authorize("participants.read"))],
    ) -> JSONResponse:
        """One participant."""
        return json(s.participant_out(service(request).participant(participant_id)))

    @r.get("/policy", response_model=s.PolicyOut, responses=READ_PROBLEMS, tags=["public"])
    def get_policy(request: Request, _actor: Annotated[Actor, Depends(Authorize("policy.read"))]) -> JSONResponse:
        """The KYC tiers and their limits in force."""
        return json(s.policy_out(service(request).policy))

    @r.get("/public/aggregate", response_model=s.AggregateOut, responses=READ_PROBLEMS, tags=["public"])
    def public_aggregate(
        request: Request, _actor: Annotated[Actor, Depends(Authorize("public.aggregate"))]
    ) -> JSONResponse:
        """Digital som in circulation, open wallets and banks: published for everyone."""
        return json(s.aggregate_out(service(request).public_aggregate()))

    return r
