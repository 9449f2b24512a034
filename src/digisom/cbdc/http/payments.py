"""/v1/payments and /v1/payment-requests: pay a wallet or a QR code, refund, request to pay."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response

from digisom.cbdc.http import schemas as s
from digisom.cbdc.http.slots import service
from digisom.http.idempotency import IdempotencyKey, idempotent
from digisom.http.permissions import Authorize
from digisom.http.render import READ_PROBLEMS, WRITE_PROBLEMS, amount, json, optional_amount
from digisom.kernel.access import Actor

PaymentPath = Annotated[str, Path(pattern=r"^p[a-z2-7]{24}$", description="A payment id.")]
RequestPath = Annotated[str, Path(pattern=r"^q[a-z2-7]{24}$", description="A request-to-pay id.")]


def router() -> APIRouter:
    """The payment and request-to-pay routes."""
    r = APIRouter(prefix="/v1")

    @r.post("/payments", status_code=201, response_model=s.PaymentOut, responses=WRITE_PROBLEMS, tags=["payments"])
    def pay(
        request: Request, body: s.PaymentIn, key: IdempotencyKey,
        actor: Annotated[Actor, Depends(Authorize("payments.create"))],
    ) -> Response:
        """Pay another wallet: one linked chain with reverse waterfall and waterfall as needed; with
        `benefit_scheme_id`, from that benefit (a merchant of its categories only, 422 otherwise)."""
        return idempotent(request, actor, key, body, lambda: json(s.payment_out(service(request).pay(
            actor, key, body.payer_wallet_id, body.payee_wallet_id, amount(body.amount_tyiyn), body.reference,
            body.benefit_scheme_id)), 201))

    @r.post("/payments/qr", status_code=201, response_model=s.PaymentOut, responses=WRITE_PROBLEMS,
            tags=["payments"])
    def pay_qr(
        request: Request, body: s.QrPaymentIn, key: IdempotencyKey,
        actor: Annotated[Actor, Depends(Authorize("payments.qr"))],
    ) -> Response:
        """Pay a merchant-presented EMV QR code (checked: checksum, currency 417, fields)."""
        return idempotent(request, actor, key, body, lambda: json(s.payment_out(service(request).pay_qr(
            actor, key, body.payer_wallet_id, body.payload, optional_amount(body.amount_tyiyn),
            body.benefit_scheme_id)), 201))

    @r.get("/payments/{payment_id}", response_model=s.PaymentOut, responses=READ_PROBLEMS, tags=["payments"])
    def get_payment(
        request: Request, payment_id: PaymentPath, actor: Annotated[Actor, Depends(Authorize("payments.read"))]
    ) -> JSONResponse:
        """One payment, for either side (or the central bank)."""
        return json(s.payment_out(service(request).payment(actor, payment_id)))

    @r.post("/payments/{payment_id}/refunds", status_code=201, response_model=s.PaymentOut,
            responses=WRITE_PROBLEMS, tags=["payments"])
    def refund(
        request: Request, payment_id: PaymentPath, body: s.RefundIn, key: IdempotencyKey,
        actor: Annotated[Actor, Depends(Authorize("payments.refund"))],
    ) -> Response:
        """Refund part or all of a payment; never more than what is left of it."""
        return idempotent(request, actor, key, body, lambda: json(s.payment_out(service(request).refund(
            actor, key, payment_id, amount(body.amount_tyiyn))), 201))

    @r.post("/payment-requests", status_code=201, response_model=s.PaymentRequestOut, responses=WRITE_PROBLEMS,
            tags=["payment requests"])
    def request_payment(
        request: Request, body: s.PaymentRequestIn, key: IdempotencyKey,
        actor: Annotated[Actor, Depends(Authorize("requests.create"))],
    ) -> Response:
        """The payee asks a wallet for a payment."""
        return idempotent(request, actor, key, body, lambda: json(s.request_out(service(request).request_payment(
            actor, key, body.payee_wallet_id, body.payer_wallet_id, amount(body.amount_tyiyn), body.message)), 201))

    @r.get("/payment-requests/{request_id}", response_model=s.PaymentRequestOut, responses=READ_PROBLEMS,
           tags=["payment requests"])
    def get_request(
        request: Request, request_id: RequestPath, actor: Annotated[Actor, Depends(Authorize("requests.read"))]
    ) -> JSONResponse:
        """One request to pay."""
        return json(s.request_out(service(request).payment_request(actor, request_id)))

    def answer(action: str, accept: bool) -> None:
        # Accept and decline differ only in the answer.
        @r.post(f"/payment-requests/{{request_id}}/{action}", response_model=s.PaymentRequestOut,
                responses=WRITE_PROBLEMS, tags=["payment requests"], name=f"{action}_request",
                summary=f"The payer {'pays' if accept else 'declines'} the request (paid at most once)")
        def answer_request(
            request: Request, request_id: RequestPath, key: IdempotencyKey,
            actor: Annotated[Actor, Depends(Authorize("requests.answer"))],
        ) -> Response:
            return idempotent(request, actor, key, None, lambda: json(s.request_out(
                service(request).answer_request(actor, request_id, accept))))

    answer("accept", True)
    answer("decline", False)
    return r
