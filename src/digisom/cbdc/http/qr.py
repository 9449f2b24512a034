"""/v1/qr: a merchant's EMV payload, its decoding, and its image (PNG or SVG)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from digisom.cbdc import qr
from digisom.cbdc.http import schemas as s
from digisom.cbdc.http.slots import service
from digisom.http.idempotency import IdempotencyKey, idempotent
from digisom.http.permissions import Authorize
from digisom.http.render import READ_PROBLEMS, WRITE_PROBLEMS, json, optional_amount
from digisom.kernel.access import Actor

_IMAGE_RESPONSES = {
    **READ_PROBLEMS,
    200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}},
                      "image/svg+xml": {"schema": {"type": "string"}}}},
}


def router() -> APIRouter:
    """The QR routes."""
    r = APIRouter(prefix="/v1/qr", tags=["qr"])

    @r.post("", status_code=201, response_model=s.QrOut, responses=WRITE_PROBLEMS)
    def create(
        request: Request, body: s.QrIn, key: IdempotencyKey, actor: Annotated[Actor, Depends(Authorize("qr.create"))]
    ) -> Response:
        """The EMV payload a merchant shows (static without an amount, dynamic with one)."""
        return idempotent(request, actor, key, body, lambda: json(s.QrOut(payload=service(request).merchant_qr(
            actor, body.wallet_id, optional_amount(body.amount_tyiyn), body.bill_number)), 201))

    @r.post("/decode", response_model=s.QrDecodedOut, responses=WRITE_PROBLEMS)
    def decode(
        request: Request, body: s.QrDecodeIn, key: IdempotencyKey,
        actor: Annotated[Actor, Depends(Authorize("qr.decode"))],
    ) -> Response:
        """What a payer's app shows before paying; 422 with a `reason` for a bad code."""
        return idempotent(request, actor, key, body, lambda: json(s.qr_decoded_out(
            service(request).decode_qr(body.payload))))

    @r.get("/image", responses=_IMAGE_RESPONSES, response_class=Response)
    def image(
        request: Request, _actor: Annotated[Actor, Depends(Authorize("qr.image"))],
        payload: Annotated[str, Query(min_length=1, max_length=qr.PAYLOAD_CHARS_MAX)],
        format: Annotated[Literal["png", "svg"], Query()] = "png",
    ) -> Response:
        """The payload as an image; only a payload that decodes is rendered."""
        service(request).decode_qr(payload)
        if format == "svg":
            return Response(qr.render_svg(payload), media_type="image/svg+xml")
        return Response(qr.render_png(payload), media_type="image/png")

    return r
