"""The central bank's screens: participants (list, register) and issuance (the summary of
circulation against the liability; reserve credits, issues and redemptions).

Each form performs the API operation it names through the digital som's service the
API's routes call (`CbdcService`), with the API's own request schemas, so the same
rules hold: a bank code must be a registered bank's, a conversion is done once per key.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from digisom.cbdc.http import schemas as s
from digisom.cbdc.http.slots import CBDC_SERVICE
from digisom.cbdc.model import ParticipantKind
from digisom.cbdc.service import CbdcService
from digisom.console.errors import ConsoleRefusal
from digisom.console.i18n import _
from digisom.console.screens.pages import PAGE_ROWS, AfterQuery, past_the_cursor
from digisom.console.web import PREFIX, console_of, form_key, parsed, posted, render, see_other, viewer
from digisom.http.render import amount
from digisom.http.services import filled

BASE: Final = PREFIX + "/central-bank"
# The conversions the issuance page offers: form value -> (service kind, MATRIX operation).
CONVERSIONS: Final = {
    "reserve_credit": ("reserve_credit", "issuance.reserve_credit"),
    "issue": ("issue", "issuance.issue"),
    "redeem": ("redeem", "issuance.redeem"),
}


def cbdc(request: Request) -> CbdcService:
    """The digital som's service the API's routes use."""
    return filled(console_of(request).api, CBDC_SERVICE)


def router() -> APIRouter:
    """The central bank's participant and issuance pages and forms."""
    r = APIRouter()

    @r.get(BASE + "/participants")
    def participants(request: Request, after: AfterQuery = 0) -> Response:
        """Participants in registration order, and the form for a new one."""
        who = viewer(request, "participants.list")
        found = cbdc(request).participants(after, PAGE_ROWS)
        past_the_cursor(after, len(found.items))
        return render(request, "central_bank/participants.html", who, participants=found.items, after=after,
                      next_after=found.next_after, kinds=[k.value for k in ParticipantKind])

    @r.post(BASE + "/participants")
    async def register(request: Request) -> Response:
        """Register a participant (`participants.register`)."""
        _who, form = await posted(request, "participants.register")
        body = parsed(s.ParticipantIn, {"id": form.get("id"), "kind": form.get("kind"), "name": form.get("name"),
                                        "bank_code": form.get("bank_code") or None})
        await run_in_threadpool(cbdc(request).register_participant, body.id, body.kind, body.name, body.bank_code)
        return see_other(BASE + "/participants")

    @r.get(BASE + "/issuance")
    def issuance(request: Request) -> Response:
        """Circulation against the issuance liability, per bank; the conversion forms."""
        who = viewer(request, "issuance.summary")
        summary = cbdc(request).issuance_summary()
        forms = [(name, op) for name, (_kind, op) in CONVERSIONS.items()]
        return render(request, "central_bank/issuance.html", who, summary=summary, conversions=forms)

    @r.post(BASE + "/issuance/{conversion}")
    async def convert(request: Request, conversion: str) -> Response:
        """Credit reserves, issue or redeem (the operation the conversion names)."""
        if conversion not in CONVERSIONS:
            raise ConsoleRefusal(404, _("Page not found"), _("There is no such form."))
        kind, operation = CONVERSIONS[conversion]
        who, form = await posted(request, operation)
        body = parsed(s.ConversionIn, {"bank_code": form.get("bank_code"), "amount_tyiyn": form.get("amount_tyiyn"),
                                       "currency": "KGS"})
        await run_in_threadpool(cbdc(request).convert, who.actor, kind, body.bank_code, amount(body.amount_tyiyn),
                                form_key(form))
        return see_other(BASE + "/issuance")

    return r
