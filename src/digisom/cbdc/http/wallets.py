"""/v1/wallets: open, read, limits, identity, funding, freeze, close, statements."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from digisom.cbdc.http import schemas as s
from digisom.cbdc.http.slots import service
from digisom.cbdc.model import MerchantProfile
from digisom.http.fields import WalletPath
from digisom.http.idempotency import IdempotencyKey, idempotent
from digisom.http.pagination import Cursor, Limit, decode_cursor, encode_cursor
from digisom.http.permissions import Authorize
from digisom.http.render import READ_PROBLEMS, WRITE_PROBLEMS, amount, json
from digisom.kernel.access import Actor


def router() -> APIRouter:
    """The wallet routes."""
    r = APIRouter(prefix="/v1/wallets", tags=["wallets"])

    @r.post("", status_code=201, response_model=s.WalletOut, responses=WRITE_PROBLEMS)
    def open_wallet(
        request: Request, body: s.WalletIn, key: IdempotencyKey,
        actor: Annotated[Actor, Depends(Authorize("wallets.open"))],
    ) -> Response:
        """A bank opens a wallet for its customer; the identity stays with the bank."""
        merchant = MerchantProfile(body.merchant.name, body.merchant.city, body.merchant.mcc) if body.merchant else None
        ident = body.identity
        return idempotent(request, actor, key, body, lambda: json(s.wallet_out(service(request).open_wallet(
            actor, key, body.holder_id, body.holder_kind, body.tier, ident.full_name, ident.phone, ident.pin,
            merchant)), 201))

    @r.get("", response_model=s.WalletPage, responses=READ_PROBLEMS)
    def list_wallets(
        request: Request, actor: Annotated[Actor, Depends(Authorize("wallets.list"))],
        cursor: Cursor = None, limit: Limit = 50,
    ) -> JSONResponse:
        """The wallets the caller may see: all (central bank), its bank's, or its own."""
        found = service(request).wallets(actor, decode_cursor(cursor), limit)
        return json(s.WalletPage(items=[s.wallet_out(w) for w in found.items],
                                 next_cursor=encode_cursor(found.next_after)))

    @r.get("/{wallet_id}", response_model=s.WalletDetailOut, responses=READ_PROBLEMS)
    def get_wallet(
        request: Request, wallet_id: WalletPath, actor: Annotated[Actor, Depends(Authorize("wallets.read"))]
    ) -> JSONResponse:
        """A wallet with its balance, linked deposit and the room under each limit."""
        return json(s.wallet_detail_out(service(request).wallet(actor, wallet_id)))

    @r.get("/{wallet_id}/identity", response_model=s.IdentityOut, responses=READ_PROBLEMS)
    def get_identity(
        request: Request, wallet_id: WalletPath, actor: Annotated[Actor, Depends(Authorize("wallets.identity"))]
    ) -> JSONResponse:
        """The holder's identity: the wallet's own bank only."""
        return json(s.identity_out(service(request).identity(actor, wallet_id)))

    @r.post("/{wallet_id}/tier", response_model=s.WalletOut, responses=WRITE_PROBLEMS)
    def set_tier(
        request: Request, wallet_id: WalletPath, body: s.TierIn, key: IdempotencyKey,
        actor: Annotated[Actor, Depends(Authorize("wallets.tier"))],
    ) -> Response:
        """Move the wallet to another KYC tier of the policy."""
        return idempotent(request, actor, key, body, lambda: json(s.wallet_out(
            service(request).set_tier(actor, wallet_id, body.tier))))

    @r.post("/{wallet_id}/deposit-credits", response_model=s.WalletDetailOut, responses=WRITE_PROBLEMS)
    def credit_deposit(
        request: Request, wallet_id: WalletPath, body: s.AmountIn, key: IdempotencyKey,
        actor: Annotated[Actor, Depends(Authorize("wallets.deposit_credit"))],
    ) -> Response:
        """The bank mirrors money arriving on the holder's linked bank account."""
        return idempotent(request, actor, key, body, lambda: json(s.wallet_detail_out(
            service(request).credit_deposit(actor, wallet_id, amount(body.amount_tyiyn), key))))

    @r.post("/{wallet_id}/funding", response_model=s.WalletDetailOut, responses=WRITE_PROBLEMS)
    def fund(
        request: Request, wallet_id: WalletPath, body: s.AmountIn, key: IdempotencyKey,
        actor: Annotated[Actor, Depends(Authorize("wallets.fund"))],
    ) -> Response:
        """Load the wallet from its linked bank account, within the holding limit."""
        return idempotent(request, actor, key, body, lambda: json(s.wallet_detail_out(
            service(request).fund(actor, wallet_id, amount(body.amount_tyiyn), key))))

    def freezing(action: str, frozen: bool) -> None:
        # Freeze and unfreeze differ only in direction.
        @r.post(f"/{{wallet_id}}/{action}", response_model=s.HoldOut, responses=WRITE_PROBLEMS, name=action,
                summary=f"{action.capitalize()} the wallet under a legal order (recorded with its reason)")
        def hold(
            request: Request, wallet_id: WalletPath, body: s.FreezeIn, key: IdempotencyKey,
            actor: Annotated[Actor, Depends(Authorize("wallets.freeze"))],
        ) -> Response:
            return idempotent(request, actor, key, body, lambda: json(s.hold_out(
                service(request).set_frozen(actor, wallet_id, frozen, body.reason, body.legal_order_ref))))

    freezing("freeze", True)
    freezing("unfreeze", False)

    @r.get("/{wallet_id}/holds", response_model=s.HoldList, responses=READ_PROBLEMS)
    def holds(
        request: Request, wallet_id: WalletPath, actor: Annotated[Actor, Depends(Authorize("wallets.holds"))]
    ) -> JSONResponse:
        """The wallet's freezes and unfreezes with their reasons, oldest first."""
        return json(s.HoldList(items=[s.hold_out(h) for h in service(request).holds(actor, wallet_id)]))

    @r.post("/{wallet_id}/close", response_model=s.WalletDetailOut, responses=WRITE_PROBLEMS)
    def close(
        request: Request, wallet_id: WalletPath, key: IdempotencyKey,
        actor: Annotated[Actor, Depends(Authorize("wallets.close"))],
    ) -> Response:
        """Close the wallet: its balance goes to the linked bank account, the ledger account is closed."""
        return idempotent(request, actor, key, None, lambda: json(s.wallet_detail_out(
            service(request).close_wallet(actor, wallet_id, key))))

    @r.get("/{wallet_id}/statement", response_model=s.StatementPage, responses=READ_PROBLEMS)
    def statement(
        request: Request, wallet_id: WalletPath, actor: Annotated[Actor, Depends(Authorize("wallets.statement"))],
        cursor: Cursor = None, limit: Limit = 50,
    ) -> JSONResponse:
        """The wallet's ledger transfers, oldest first."""
        found = service(request).statement(actor, wallet_id, decode_cursor(cursor), limit)
        return json(s.StatementPage(items=[s.statement_entry_out(e) for e in found.items],
                                    next_cursor=encode_cursor(found.next_after)))

    @r.get("/{wallet_id}/payments", response_model=s.PaymentPage, responses=READ_PROBLEMS)
    def payments(
        request: Request, wallet_id: WalletPath, actor: Annotated[Actor, Depends(Authorize("wallets.payments"))],
        cursor: Cursor = None, limit: Limit = 50,
    ) -> JSONResponse:
        """The payments the wallet made or received."""
        found = service(request).payments(actor, wallet_id, decode_cursor(cursor), limit)
        return json(s.PaymentPage(items=[s.payment_out(p) for p in found.items],
                                  next_cursor=encode_cursor(found.next_after)))

    @r.get("/{wallet_id}/payment-requests", response_model=s.PaymentRequestPage, responses=READ_PROBLEMS)
    def payment_requests(
        request: Request, wallet_id: WalletPath,
        actor: Annotated[Actor, Depends(Authorize("wallets.payment_requests"))],
        cursor: Cursor = None, limit: Limit = 50,
    ) -> JSONResponse:
        """Requests to pay the wallet sent or received: the payer's app shows the open ones."""
        found = service(request).payment_requests(actor, wallet_id, decode_cursor(cursor), limit)
        return json(s.PaymentRequestPage(items=[s.request_out(q) for q in found.items],
                                         next_cursor=encode_cursor(found.next_after)))

    return r
