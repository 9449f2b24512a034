"""/v1/vasps: VASP licensing. A VASP operator (token subject = its VASP id) uploads its
documents and files its application and reads its own (another's answers 404); registrars
review with four eyes and suspend, reinstate or revoke; anyone reads the licences."""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Annotated, Final, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from digisom.http import fields
from digisom.http.idempotency import IdempotencyKey, idempotent
from digisom.http.permissions import Authorize
from digisom.http.render import READ_PROBLEMS, WRITE_PROBLEMS
from digisom.http.services import provided
from digisom.kernel.access import Actor, Role
from digisom.registry.documents import DOCUMENT_BYTES_MAX
from digisom.registry.errors import InvalidEntry, UnknownVasp
from digisom.registry.http.register_routes import events_json
from digisom.registry.http.slots import DOCUMENTS, LICENSING
from digisom.registry.licensing import Activity, Decision, ProposalIn, VaspStatus

UPLOAD_PATH_PATTERN: Final = r"^/v1/vasps/[^/]+/documents$"
# base64 grows a document by 4/3; the JSON around it is small.
UPLOAD_BODY_BYTES_MAX: Final = DOCUMENT_BYTES_MAX * 4 // 3 + 4096

VaspPath = Annotated[str, Path(pattern=r"^vasp-[a-z0-9-]{2,59}$", description="A VASP id.")]
Text = Annotated[fields.PlainText, Field(min_length=1, max_length=200)]
Reason = Annotated[fields.PlainText, Field(min_length=1, max_length=2000)]
ActivityName = Literal["exchange", "custody", "transfer", "issuance"]


class DocumentIn(BaseModel):
    name: Text
    sha256: Annotated[str, Field(min_length=1, max_length=64)]
    content_base64: Annotated[str, Field(min_length=1, max_length=UPLOAD_BODY_BYTES_MAX)]


class ApplicationIn(BaseModel):
    legal_name: Text
    address: Text
    activities: Annotated[list[ActivityName], Field(min_length=1, max_length=4)]
    # The VASP's Ed25519 public key, raw 32 bytes in hex: it verifies the VASP's signed reports.
    public_key: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    documents: Annotated[list[Annotated[str, Field(max_length=64)]], Field(max_length=50)]


class ProposalBody(BaseModel):
    decision: Literal["grant", "refuse"]
    licence_number: Annotated[str, Field(max_length=40)] = ""
    activities: Annotated[list[ActivityName], Field(max_length=4)] = []
    conditions: Annotated[list[Reason], Field(max_length=20)] = []
    expires_on: date | None = None
    reason: Reason


class ApprovalIn(BaseModel):
    proposal_seq: Annotated[int, Field(ge=1, le=2**62)]


class ReasonIn(BaseModel):
    reason: Reason


def own(actor: Actor, vasp_id: str) -> None:
    """A VASP operator reaches its own VASP only; another's is as unknown as a missing one."""
    if actor.role is Role.VASP_OPERATOR and actor.subject != vasp_id:
        raise UnknownVasp("no such VASP")


def _ok(body: object, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status)


def router() -> APIRouter:
    """The VASP licensing routes."""
    r = APIRouter(prefix="/v1/vasps", tags=["vasps"])

    @r.get("", responses=READ_PROBLEMS)
    def licences(request: Request, _a: Annotated[Actor, Depends(Authorize("vasps.list"))],
                 status: Annotated[Literal["licensed", "suspended", "revoked"] | None, Query()] = None
                 ) -> JSONResponse:
        """The public list of licences, by number (with their status, activities, expiry and key)."""
        found = provided(request, LICENSING).licences(VaspStatus(status) if status else None)
        return _ok({"items": [x.as_json() for x in found]})

    @r.get("/{vasp_id}/licence", responses=READ_PROBLEMS)
    def licence(request: Request, vasp_id: VaspPath,
                _a: Annotated[Actor, Depends(Authorize("vasps.licence"))]) -> JSONResponse:
        """A VASP's licence as it stands; 404 if it holds none."""
        found = provided(request, LICENSING).licence_for(vasp_id)
        if found is None:
            raise UnknownVasp("no licence for this VASP")
        return _ok(found.as_json())

    @r.get("/{vasp_id}/history", responses=READ_PROBLEMS)
    def history(request: Request, vasp_id: VaspPath,
                _a: Annotated[Actor, Depends(Authorize("vasps.history"))]) -> JSONResponse:
        """Every signed event of the VASP, in order (public, as the whole log is)."""
        return _ok(events_json(provided(request, LICENSING).history(vasp_id)))

    @r.get("/{vasp_id}/application", responses=READ_PROBLEMS)
    def application(request: Request, vasp_id: VaspPath,
                    actor: Annotated[Actor, Depends(Authorize("vasps.application.read"))]) -> JSONResponse:
        """The application, its pending review and its licence (a VASP its own only)."""
        own(actor, vasp_id)
        return _ok(provided(request, LICENSING).vasp(vasp_id).as_json())

    @r.post("/{vasp_id}/documents", status_code=201, responses=WRITE_PROBLEMS)
    def document(request: Request, vasp_id: VaspPath, body: DocumentIn, key: IdempotencyKey,
                 actor: Annotated[Actor, Depends(Authorize("vasps.documents.upload"))]) -> Response:
        """Upload a document (base64) with its SHA-256, checked against the content."""
        def produce() -> Response:
            own(actor, vasp_id)
            try:
                content = base64.b64decode(body.content_base64, validate=True)
            except (binascii.Error, ValueError):
                raise InvalidEntry("content_base64 is not base64", field="content_base64") from None
            ref = provided(request, DOCUMENTS).store(vasp_id, body.name, content, body.sha256)
            return _ok(ref.as_json(), 201)
        return idempotent(request, actor, key, body, produce)

    @r.post("/{vasp_id}/application", status_code=201, responses=WRITE_PROBLEMS)
    def apply(request: Request, vasp_id: VaspPath, body: ApplicationIn, key: IdempotencyKey,
              actor: Annotated[Actor, Depends(Authorize("vasps.application.file"))]) -> Response:
        """File the application, naming uploaded documents by SHA-256."""
        def produce() -> Response:
            own(actor, vasp_id)
            vasp = provided(request, LICENSING).apply(vasp_id, body.legal_name, body.address,
                                                      frozenset(Activity(a) for a in body.activities),
                                                      body.public_key, body.documents, actor.principal)
            return _ok(vasp.as_json(), 201)
        return idempotent(request, actor, key, body, produce)

    @r.post("/{vasp_id}/review/proposal", responses=WRITE_PROBLEMS)
    def propose(request: Request, vasp_id: VaspPath, body: ProposalBody, key: IdempotencyKey,
                actor: Annotated[Actor, Depends(Authorize("vasps.review.propose"))]) -> Response:
        """Propose to grant (with the licence's terms) or refuse; a second registrar approves."""
        def produce() -> Response:
            proposal = ProposalIn(Decision(body.decision), body.licence_number,
                                  frozenset(Activity(a) for a in body.activities), tuple(body.conditions),
                                  body.expires_on, body.reason)
            return _ok(provided(request, LICENSING).propose(vasp_id, proposal, actor.principal).as_json())
        return idempotent(request, actor, key, body, produce)

    @r.post("/{vasp_id}/review/approval", responses=WRITE_PROBLEMS)
    def approve(request: Request, vasp_id: VaspPath, body: ApprovalIn, key: IdempotencyKey,
                actor: Annotated[Actor, Depends(Authorize("vasps.review.approve"))]) -> Response:
        """Approve the pending proposal: never by its proposer (four eyes)."""
        def produce() -> Response:
            return _ok(provided(request, LICENSING).approve(vasp_id, body.proposal_seq, actor.principal).as_json())
        return idempotent(request, actor, key, body, produce)

    moves = (("suspension", "vasps.suspend", "suspend"), ("reinstatement", "vasps.reinstate", "reinstate"),
             ("revocation", "vasps.revoke", "revoke"))
    for segment, operation, method in moves:
        _add_move(r, segment, operation, method)
    return r


def _add_move(r: APIRouter, segment: str, operation: str, method: str) -> None:
    @r.post(f"/{{vasp_id}}/{segment}", responses=WRITE_PROBLEMS, name=f"vasp_{segment}")
    def move(request: Request, vasp_id: VaspPath, body: ReasonIn, key: IdempotencyKey,
             actor: Actor = Depends(Authorize(operation))) -> Response:  # noqa: B008 - a closure's operation
        """Suspend, reinstate or revoke the licence, with the reason."""
        def produce() -> Response:
            act = getattr(provided(request, LICENSING), method)
            return _ok(act(vasp_id, body.reason, actor.principal).as_json())
        return idempotent(request, actor, key, body, produce)
