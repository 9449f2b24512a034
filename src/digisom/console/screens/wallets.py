"""Wallets, for the central bank and the banks: the list (each role the wallets the API
shows it), opening a wallet (a bank, for its customer), a wallet's page with its holds,
freezing and unfreezing under a legal order, and moving it to another KYC tier.

Every form goes through `CbdcService`, the service the API's wallet routes call, with
the API's request schemas: a bank acts on its own wallets only, a freeze needs a reason
and a legal order's reference, a tier must be one of the policy's.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from digisom.cbdc.http import schemas as s
from digisom.console.access import allowed
from digisom.console.screens.central_bank import cbdc
from digisom.console.screens.pages import PAGE_ROWS, AfterQuery, past_the_cursor
from digisom.console.web import PREFIX, form_key, parsed, posted, render, see_other, viewer
from digisom.http.fields import WalletPath

BASE: Final = PREFIX + "/wallets"
HOLDER_KINDS: Final = ("individual", "merchant", "government")


def router() -> APIRouter:
    """The wallet pages and forms."""
    r = APIRouter()

    @r.get(BASE)
    def wallets(request: Request, after: AfterQuery = 0) -> Response:
        """The wallets this operator may see, and (a bank) the form to open one."""
        who = viewer(request, "wallets.list")
        found = cbdc(request).wallets(who.actor, after, PAGE_ROWS)
        past_the_cursor(after, len(found.items))
        return render(request, "bank/wallets.html", who, wallets=found.items, after=after,
                      next_after=found.next_after, holder_kinds=HOLDER_KINDS)

    @r.post(BASE)
    async def open_wallet(request: Request) -> Response:
        """Open a wallet for a customer (`wallets.open`)."""
        who, form = await posted(request, "wallets.open")
        body = parsed(s.WalletIn, {
            "holder_id": form.get("holder_id"), "holder_kind": form.get("holder_kind"), "tier": form.get("tier"),
            "identity": {"full_name": form.get("full_name"), "phone": form.get("phone"), "pin": form.get("pin")}})
        ident = body.identity
        opened = await run_in_threadpool(cbdc(request).open_wallet, who.actor, form_key(form), body.holder_id,
                                         body.holder_kind, body.tier, ident.full_name, ident.phone, ident.pin, None)
        return see_other(f"{BASE}/{opened.id}")

    @r.get(BASE + "/{wallet_id}")
    def wallet(request: Request, wallet_id: WalletPath) -> Response:
        """A wallet: balance, limits, status; its holds and the freeze and tier forms where allowed."""
        who = viewer(request, "wallets.read")
        service = cbdc(request)
        view = service.wallet(who.actor, wallet_id)
        holds = service.holds(who.actor, wallet_id) if allowed(who.actor, "wallets.holds") else None
        return render(request, "bank/wallet.html", who, view=view, holds=holds, tiers=sorted(service.policy.tiers))

    def freezing(action: str, frozen: bool) -> None:
        # Freeze and unfreeze differ only in direction, as in the API.
        @r.post(f"{BASE}/{{wallet_id}}/{action}", name=f"console-{action}")
        async def hold(request: Request, wallet_id: WalletPath) -> Response:
            who, form = await posted(request, "wallets.freeze")
            body = parsed(s.FreezeIn, {"reason": form.get("reason"), "legal_order_ref": form.get("legal_order_ref")})
            await run_in_threadpool(cbdc(request).set_frozen, who.actor, wallet_id, frozen, body.reason,
                                    body.legal_order_ref)
            return see_other(f"{BASE}/{wallet_id}")

    freezing("freeze", True)
    freezing("unfreeze", False)

    @r.post(BASE + "/{wallet_id}/tier")
    async def set_tier(request: Request, wallet_id: WalletPath) -> Response:
        """Move the wallet to another KYC tier (`wallets.tier`)."""
        who, form = await posted(request, "wallets.tier")
        body = parsed(s.TierIn, {"tier": form.get("tier")})
        await run_in_threadpool(cbdc(request).set_tier, who.actor, wallet_id, body.tier)
        return see_other(f"{BASE}/{wallet_id}")

    return r
