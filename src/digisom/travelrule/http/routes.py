"""/v1/travel-rule: the TRP-like exchange. An originator (a remittance partner, or a
licensed VASP for its customers' KGST/USDKG transfers) posts an inquiry and gets its
answer; it confirms an approved one with the transfer's reference.

Scope: an inquiry is its sender's (the token's role and subject); compliance officers
and auditors read every one, with its screenings; for anyone else it does not exist (404).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from digisom.http import fields
from digisom.http.idempotency import IdempotencyKey, idempotent
from digisom.http.permissions import Authorize
from digisom.http.render import READ_PROBLEMS, WRITE_PROBLEMS, json
from digisom.kernel.access import Actor, Role
from digisom.travelrule.http.slots import service
from digisom.travelrule.model import Inquiry, InquiryRequest, Party

ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
InquiryPath = Annotated[str, Path(pattern=r"^tri_[0-9a-f]{32}$", description="An inquiry id.")]
Address = Annotated[str, Field(pattern=r"^(0x[0-9a-fA-F]{40}|T[1-9A-HJ-NP-Za-km-z]{33})$",
                               description="An EVM or TRON address.")]
PARTIES: Final = {Role.PARTNER: "partner", Role.VASP_OPERATOR: "vasp"}


class InquiryIn(BaseModel):
    """A transfer inquiry: the sender's own id, the asset and amount, the beneficiary (a
    digital som wallet or an on-chain address), the originator's address if on-chain,
    IVMS101 data (required from the threshold), and where to call back."""

    request_id: Annotated[str, Field(pattern=ID_PATTERN, description="The sender's inquiry id (retries repeat it).")]
    asset: Annotated[str, Field(pattern=r"^[A-Z]{3,5}$", examples=["USDKG"])]
    amount_minor: Annotated[str, Field(pattern=r"^[1-9][0-9]{0,15}$",
                                       description="Integer minor units (KGST in tyiyn, USDKG in cents).")]
    beneficiary_wallet_id: fields.WalletId | None = None
    beneficiary_address: Address | None = None
    originator_address: Address | None = None
    ivms101: dict[str, Any] | None = Field(None, description="IVMS101 identity payload (required from the threshold).")
    callback_url: Annotated[str, Field(pattern=r"^https://\S{1,490}$")] | None = None


class ConfirmIn(BaseModel):
    """The transfer made on an approved inquiry: its transaction hash or remittance id."""

    tx_reference: Annotated[str, Field(pattern=r"^(0x[0-9a-fA-F]{64}|[0-9a-fA-F]{64}|rm_[0-9a-f]{32})$")]


class ScreeningOut(BaseModel):
    """One party or address screened (shown to compliance officers and auditors)."""

    party: str
    subject: str
    decision: str
    reason: str


class InquiryOut(BaseModel):
    """An inquiry and its answer: `approved`, `rejected` (with `reason`), `pending_review`
    (a compliance officer decides), or `confirmed` (with `tx_reference`)."""

    inquiry_id: str
    request_id: str
    status: str
    reason: str
    asset: str
    amount_minor: str
    beneficiary_wallet_id: str
    beneficiary_address: str
    originator_address: str
    usd_equivalent_cents: str
    threshold_usd_cents: str
    ivms101_required: bool
    ivms101_sha256: str
    tx_reference: str
    callback_url: str
    created_at: datetime
    screenings: list[ScreeningOut]


def _party(actor: Actor) -> Party | None:
    """The caller as a sender; None for those who read every inquiry (officers, auditors)."""
    kind = PARTIES.get(actor.role)
    return Party(kind, actor.subject) if kind is not None else None


def _sender(actor: Actor) -> Party:
    party = _party(actor)
    if party is None:  # the matrix lets only partners and VASPs write
        raise RuntimeError(f"{actor.role.value} cannot send inquiries")
    return party


def _out(found: Inquiry, with_screenings: bool) -> InquiryOut:
    return InquiryOut(
        inquiry_id=found.inquiry_id, request_id=found.request_id, status=found.status.value, reason=found.reason,
        asset=found.asset, amount_minor=str(found.amount_minor), beneficiary_wallet_id=found.beneficiary_wallet_id,
        beneficiary_address=found.beneficiary_address, originator_address=found.originator_address,
        usd_equivalent_cents=str(found.usd_equivalent_cents), threshold_usd_cents=str(found.threshold_usd_cents),
        ivms101_required=found.ivms101_required, ivms101_sha256=found.payload_sha256,
        tx_reference=found.tx_reference, callback_url=found.callback_url, created_at=found.created_at,
        screenings=[ScreeningOut(party=s.party, subject=s.subject, decision=s.decision, reason=s.reason)
                    for s in found.screenings] if with_screenings else [])


def router() -> APIRouter:
    """The travel-rule routes."""
    r = APIRouter(prefix="/v1/travel-rule", tags=["travel-rule"])

    @r.post("/inquiries", status_code=201, response_model=InquiryOut, responses=WRITE_PROBLEMS)
    def inquire(request: Request, body: InquiryIn, key: IdempotencyKey,
                actor: Annotated[Actor, Depends(Authorize("travelrule.inquiries.create"))]) -> Response:
        """Send a transfer inquiry; answered `approved`, `rejected` with a reason, or
        `pending_review`. The same `request_id` with the same body answers the same."""
        def produce() -> Response:
            done = service(request).submit(_sender(actor), InquiryRequest(
                body.request_id, body.asset, int(body.amount_minor), body.beneficiary_wallet_id or "",
                body.beneficiary_address or "", body.originator_address or "", body.ivms101,
                body.callback_url or ""))
            return json(_out(done, False), 201)
        return idempotent(request, actor, key, body, produce)

    @r.get("/inquiries/{inquiry_id}", response_model=InquiryOut, responses=READ_PROBLEMS)
    def inquiry(request: Request, inquiry_id: InquiryPath,
                actor: Annotated[Actor, Depends(Authorize("travelrule.inquiries.read"))]) -> JSONResponse:
        """An inquiry's state (its sender; compliance officers and auditors with its screenings)."""
        party = _party(actor)
        return json(_out(service(request).inquiry(inquiry_id, party), party is None))

    @r.post("/inquiries/{inquiry_id}/confirm", response_model=InquiryOut, responses=WRITE_PROBLEMS)
    def confirm(request: Request, inquiry_id: InquiryPath, body: ConfirmIn, key: IdempotencyKey,
                actor: Annotated[Actor, Depends(Authorize("travelrule.inquiries.confirm"))]) -> Response:
        """Confirm an approved inquiry with the transfer's reference (once; the same again answers the same)."""
        return idempotent(request, actor, key, body, lambda: json(_out(
            service(request).confirm(_sender(actor), inquiry_id, body.tx_reference), False)))

    return r
