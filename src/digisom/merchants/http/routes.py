"""/v1/merchant-invoices.

- The merchant (role merchant, token subject = merchant id) creates, lists, reads and
  refunds its own invoices; its bank (bank operator) reads those settled into wallets it
  keeps.
- The payer needs no account: by invoice id (unguessable, 96 random bits) anyone reads
  what paying takes (amount, token, chain, address, link, status and reason; never the
  merchant's wallet or bank), the QR code, and submits an EIP-3009 authorization.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from digisom.http.idempotency import IdempotencyKey, idempotent
from digisom.http.pagination import PAGE_LIMIT_DEFAULT, Cursor, Limit, decode_cursor, offset_cursor
from digisom.http.permissions import Authorize
from digisom.http.render import READ_PROBLEMS, WRITE_PROBLEMS, json
from digisom.http.services import provided
from digisom.kernel.access import Actor, Role
from digisom.merchants import links
from digisom.merchants.http.slots import MERCHANT_INVOICES
from digisom.merchants.model import Invoice, InvoiceDetail
from digisom.merchants.service import EXPIRY_S_DEFAULT, EXPIRY_S_MAX, EXPIRY_S_MIN, InvoiceService, payment_link

InvoicePath = Annotated[str, Path(pattern=r"^inv-[0-9a-f]{24}$", description="An invoice id.")]
_DIGITS: Final = r"^[1-9][0-9]{0,17}$"
IMAGE: Final[dict[int | str, dict[str, Any]]] = {
    200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}},
                      "image/svg+xml": {"schema": {"type": "string"}}}}}


class CreateIn(BaseModel):
    wallet_id: str = Field(min_length=1, max_length=64, description="The merchant's digital som wallet.")
    amount_tyiyn: str = Field(pattern=_DIGITS, description="The price in tyiyn (integer, as a string).")
    currency: Literal["KGS"] = "KGS"
    asset: Literal["KGST", "USDKG"] = "KGST"
    description: str = Field("", max_length=500)
    expires_in_s: int = Field(EXPIRY_S_DEFAULT, ge=EXPIRY_S_MIN, le=EXPIRY_S_MAX)


class PayerOut(BaseModel):
    invoice_id: str
    status: str
    reason: str
    amount_tyiyn: str
    currency: str = "KGS"
    asset: str
    chain_id: int
    token_address: str
    pay_address: str
    pay_units: str
    decimals: int
    rate_som_e6: str | None
    expires_at: str
    received_units: str
    refunded_units: str
    link: str


class InvoiceOut(PayerOut):
    merchant_id: str
    wallet_id: str
    bank_code: str
    description: str
    settled_tyiyn: str
    created_at: str
    updated_at: str
    payments: list[dict[str, Any]]
    moves: list[dict[str, Any]]


class InvoiceList(BaseModel):
    """A page of invoices, oldest first; `next_cursor` asks for the next page (null: none)."""

    items: list[InvoiceOut]
    next_cursor: str | None


class AuthorizationIn(BaseModel):
    """An EIP-3009 `TransferWithAuthorization` the payer signed (integers as JSON numbers)."""

    model_config = {"populate_by_name": True}
    source: str = Field(alias="from", max_length=42)
    to: str = Field(max_length=42)
    value: int = Field(ge=1, lt=2**256)
    validAfter: int = Field(ge=0, lt=2**256)  # noqa: N815 (EIP-3009's field names)
    validBefore: int = Field(ge=0, lt=2**256)  # noqa: N815
    nonce: str = Field(max_length=66)
    signature: str = Field(max_length=132)


class SubmittedOut(BaseModel):
    invoice_id: str
    tx_hash: str


def _payer(i: Invoice) -> dict[str, Any]:
    return {"invoice_id": i.invoice_id, "status": i.status.value, "reason": i.reason,
            "amount_tyiyn": str(i.amount_tyiyn), "asset": i.asset.value, "chain_id": i.chain_id,
            "token_address": i.token_address, "pay_address": i.pay_address, "pay_units": str(i.pay_units),
            "decimals": i.decimals, "rate_som_e6": None if i.rate_som_e6 is None else str(i.rate_som_e6),
            "expires_at": i.expires_at, "received_units": str(i.received_units),
            "refunded_units": str(i.refunded_units), "link": payment_link(i)}


def _full(service: InvoiceService, i: Invoice) -> InvoiceOut:
    return _out(service.detail(i))


def _out(detail: InvoiceDetail) -> InvoiceOut:
    i = detail.invoice
    payments = [{"payment_id": p.payment_id, "block_number": p.block_number, "sender": p.sender,
                 "amount_units": str(p.amount_units), "late": p.late, "screening": p.screening}
                for p in detail.payments]
    moves = [{"kind": m.kind.value, "to": m.to, "amount_units": str(m.amount_units), "state": m.state.value,
              "tx_hash": m.tx_hash, "reason": m.reason} for m in detail.moves]
    return InvoiceOut(**_payer(i), merchant_id=i.merchant_id, wallet_id=i.wallet_id, bank_code=i.bank_code,
                      description=i.description, settled_tyiyn=str(i.settled_tyiyn), created_at=i.created_at,
                      updated_at=i.updated_at, payments=payments, moves=moves)


def _scope(actor: Actor) -> tuple[str | None, str | None]:
    """Whose invoices `actor` sees (merchant id, bank code): a merchant its own, a bank
    its wallets' merchants'."""
    if actor.role is Role.MERCHANT:
        return actor.subject, None
    return None, actor.bank_code or "-"  # the matrix lets only merchants and banks here


def router() -> APIRouter:
    r = APIRouter(prefix="/v1/merchant-invoices", tags=["merchant invoices"])

    @r.post("", status_code=201, response_model=InvoiceOut, responses=WRITE_PROBLEMS)
    def create(request: Request, body: CreateIn, key: IdempotencyKey,
               actor: Annotated[Actor, Depends(Authorize("merchant_invoices.create"))]) -> Response:
        """An invoice priced in som, payable in KGST (1:1) or USDKG (at the reference rate,
        quoted until the invoice expires). The Idempotency-Key is the invoice's key too."""
        service = provided(request, MERCHANT_INVOICES)

        def produce() -> Response:
            invoice = service.create(actor.subject, key, body.wallet_id, int(body.amount_tyiyn), body.asset,
                                     body.description, body.expires_in_s)
            return json(_full(service, invoice), 201)
        return idempotent(request, actor, key, body, produce)

    @r.get("", response_model=InvoiceList, responses=READ_PROBLEMS)
    def listed(request: Request,
               actor: Annotated[Actor, Depends(Authorize("merchant_invoices.list"))],
               cursor: Cursor = None, limit: Limit = PAGE_LIMIT_DEFAULT) -> JSONResponse:
        """The merchant's own invoices, or those of the bank's merchants; oldest first, a
        page at a time."""
        service = provided(request, MERCHANT_INVOICES)
        offset = decode_cursor(cursor)
        found = service.invoices(*_scope(actor), limit=limit, offset=offset)
        return json(InvoiceList(items=[_out(d) for d in found],
                                next_cursor=offset_cursor(offset, limit, found)))

    @r.get("/{invoice_id}", response_model=InvoiceOut, responses=READ_PROBLEMS)
    def read(request: Request, invoice_id: InvoicePath,
             actor: Annotated[Actor, Depends(Authorize("merchant_invoices.read"))]) -> JSONResponse:
        """One invoice with its payments and moves: the merchant's own, or its bank's."""
        service = provided(request, MERCHANT_INVOICES)
        return json(_full(service, service.invoice(invoice_id, *_scope(actor))))

    @r.get("/{invoice_id}/pay", response_model=PayerOut, responses=READ_PROBLEMS)
    def pay(request: Request, invoice_id: InvoicePath,
            _actor: Annotated[Actor, Depends(Authorize("merchant_invoices.pay"))]) -> JSONResponse:
        """What the payer needs: amount, token, chain, address, the EIP-681 link, status and reason."""
        return json(PayerOut(**_payer(provided(request, MERCHANT_INVOICES).invoice(invoice_id))))

    @r.get("/{invoice_id}/qr", responses={**READ_PROBLEMS, **IMAGE}, response_class=Response)
    def qr(request: Request, invoice_id: InvoicePath,
           _actor: Annotated[Actor, Depends(Authorize("merchant_invoices.qr"))],
           image: Literal["svg", "png"] = "svg") -> Response:
        """The EIP-681 link as a QR code (SVG, or PNG with `image=png`)."""
        link = payment_link(provided(request, MERCHANT_INVOICES).invoice(invoice_id))
        if image == "png":
            return Response(links.render_png(link), media_type="image/png")
        return Response(links.render_svg(link), media_type="image/svg+xml")

    @r.post("/{invoice_id}/authorizations", status_code=202, response_model=SubmittedOut, responses=WRITE_PROBLEMS)
    def authorize(request: Request, invoice_id: InvoicePath, body: AuthorizationIn, _key: IdempotencyKey,
                  _actor: Annotated[Actor, Depends(Authorize("merchant_invoices.authorize"))]) -> JSONResponse:
        """Submit the payer's EIP-3009 authorization (the platform pays the gas) after
        checking it pays exactly this invoice. Idempotent by the authorization itself:
        the same one again answers the same transaction."""
        fields = {"from": body.source, "to": body.to, "value": body.value, "validAfter": body.validAfter,
                  "validBefore": body.validBefore, "nonce": body.nonce, "signature": body.signature}
        tx_hash = provided(request, MERCHANT_INVOICES).submit_authorization(invoice_id, fields)
        return json(SubmittedOut(invoice_id=invoice_id, tx_hash=tx_hash), 202)

    @r.post("/{invoice_id}/refund", response_model=InvoiceOut, responses=WRITE_PROBLEMS)
    def refund(request: Request, invoice_id: InvoicePath, key: IdempotencyKey,
               actor: Annotated[Actor, Depends(Authorize("merchant_invoices.refund"))]) -> Response:
        """Send an unsettled invoice's tokens back to their senders (each screened first)."""
        service = provided(request, MERCHANT_INVOICES)

        def produce() -> Response:
            return json(_full(service, service.refund(actor.subject, invoice_id)))
        return idempotent(request, actor, key, None, produce)

    return r
