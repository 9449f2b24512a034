"""/v1/remittances: partners (a bank onboards and prefunds them), corridors, quotes (every
fee and the all-in cost shown before sending), send (idempotent by the partner's reference
and by the Idempotency-Key), status and returns.

Scope: a partner sees only itself and its own remittances (its token's subject is its
partner id); a bank only the partners it onboarded; what is out of scope answers exactly
as what does not exist (404), so no answer tells one bank about another's customers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from digisom.http import fields
from digisom.http.idempotency import IdempotencyKey, idempotent
from digisom.http.permissions import Authorize
from digisom.http.problems import ApiProblem
from digisom.http.render import READ_PROBLEMS, WRITE_PROBLEMS, amount, json
from digisom.kernel.access import Actor, Role
from digisom.remittance.errors import PartnerNotFound, RemittanceNotFound
from digisom.remittance.http import chain_routes, pacs008_routes
from digisom.remittance.http.slots import reads, service
from digisom.remittance.model import Corridor, Partner, PartnerKind, Quote, Remittance, Status
from digisom.remittance.pricing import ppm_as_percent
from digisom.remittance.service import SendRequest

ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
Id = Annotated[str, Field(pattern=ID_PATTERN)]
PartnerPath = Annotated[str, Path(pattern=ID_PATTERN, description="A partner id.")]
RemittancePath = Annotated[str, Path(pattern=r"^rm_[0-9a-f]{32}$", description="A remittance id.")]
MinorUnits = Annotated[str, Field(pattern=r"^[1-9][0-9]{0,15}$", description="Integer minor units, as a string.")]
SourceCurrency = Annotated[str, Field(pattern=r"^[A-Z]{3}$", examples=["RUB"])]
Name = Annotated[fields.PlainText, Field(min_length=1, max_length=200)]


class PartnerIn(BaseModel):
    """A foreign partner onboarded by a bank, with its monthly payout limit in tyiyn."""

    partner_id: Id
    name: Name
    kind: Literal["mto", "exchange"]
    country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    bank_code: fields.BankCode
    month_limit_tyiyn: fields.AmountTyiyn


class PartnerOut(BaseModel):
    """A partner and what its prefunded position holds."""

    partner_id: str
    name: str
    kind: str
    country: str
    bank_code: str
    month_limit_tyiyn: str
    position_tyiyn: str
    active: bool


class PartnerPage(BaseModel):
    """Partners in scope, by id."""

    items: list[PartnerOut]


class FundingIn(BaseModel):
    """Digital som from the bank's float into the position (`prefund`), or back (`defund`)."""

    kind: Literal["prefund", "defund"]
    amount_tyiyn: fields.AmountTyiyn
    currency: fields.Currency


class CorridorIn(BaseModel):
    """A corridor of one source currency: fees, FX margin under the reference rate, limits."""

    currency: SourceCurrency
    fee_fixed_minor: Annotated[str, Field(pattern=r"^(0|[1-9][0-9]{0,15})$")]
    fee_bps: Annotated[int, Field(ge=0, le=10_000)]
    fx_margin_bps: Annotated[int, Field(ge=0, le=9_999)]
    transfer_max_minor: MinorUnits
    sender_month_max_minor: MinorUnits


class CorridorOut(BaseModel):
    """A configured corridor."""

    corridor_id: str
    partner_id: str
    currency: str
    fee_fixed_minor: str
    fee_bps: int
    fx_margin_bps: int
    transfer_max_minor: str
    sender_month_max_minor: str


class CorridorPage(BaseModel):
    """The partner's corridors."""

    items: list[CorridorOut]


class QuoteIn(BaseModel):
    """Price sending `send_minor` of `currency` (the caller is the partner)."""

    currency: SourceCurrency
    send_minor: MinorUnits


class QuoteOut(BaseModel):
    """What the sender sees before sending: every fee, the one rate against the reference
    rate, what arrives, and the all-in cost (World Bank RPW method) in percent."""

    quote_id: str
    currency: str
    send_minor: str
    fee_fixed_minor: str
    fee_pct_minor: str
    fees_minor: str
    pay_minor: str
    fx_margin_minor: str
    reference_rate_e6: str
    applied_rate_e6: str
    rate_date: str
    receive_tyiyn: str
    all_in_cost_pct: str
    expires_at: datetime


class SendIn(BaseModel):
    """Pay out a quote to a recipient named by exactly one of a wallet and a personal number."""

    reference: Id
    quote_id: Id
    sender_id: Id
    sender_name: Name
    recipient_name: Name
    recipient_wallet_id: fields.WalletId | None = None
    recipient_personal_number: Annotated[str, Field(pattern=r"^[0-9]{14}$")] | None = None
    travel_rule: dict[str, Any] | None = Field(None, description="IVMS101 data (required from the threshold).")
    travel_rule_inquiry_id: Annotated[str, Field(pattern=r"^tri_[0-9a-f]{32}$")] | None = Field(
        None, description="Instead of `travel_rule`: an approved /v1/travel-rule inquiry for this transfer.")


class RemittanceOut(BaseModel):
    """A remittance as recorded; `reason` says why it was returned."""

    remittance_id: str
    partner_id: str
    reference: str
    quote_id: str
    status: str
    reason: str
    send_minor: str
    receive_tyiyn: str
    channel: str
    to_wallet_tyiyn: str
    waterfall_tyiyn: str
    to_bank_tyiyn: str
    created_at: datetime


class RemittancePage(BaseModel):
    """Remittances, newest first."""

    items: list[RemittanceOut]


def _partner_out(p: Partner, position_tyiyn: int) -> PartnerOut:
    return PartnerOut(partner_id=p.partner_id, name=p.name, kind=p.kind.value, country=p.country,
                      bank_code=p.bank_code, month_limit_tyiyn=str(p.month_limit_tyiyn),
                      position_tyiyn=str(position_tyiyn), active=p.active)


def _corridor_out(c: Corridor) -> CorridorOut:
    return CorridorOut(corridor_id=c.corridor_id, partner_id=c.partner_id, currency=c.currency,
                       fee_fixed_minor=str(c.fee_fixed_minor), fee_bps=c.fee_bps, fx_margin_bps=c.fx_margin_bps,
                       transfer_max_minor=str(c.transfer_max_minor),
                       sender_month_max_minor=str(c.sender_month_max_minor))


def _quote_out(q: Quote) -> QuoteOut:
    return QuoteOut(quote_id=q.quote_id, currency=q.currency, send_minor=str(q.send_minor),
                    fee_fixed_minor=str(q.fee_fixed_minor), fee_pct_minor=str(q.fee_pct_minor),
                    fees_minor=str(q.fees_minor), pay_minor=str(q.pay_minor), fx_margin_minor=str(q.fx_margin_minor),
                    reference_rate_e6=str(q.reference_e6), applied_rate_e6=str(q.applied_e6), rate_date=q.rate_date,
                    receive_tyiyn=str(q.receive_tyiyn), all_in_cost_pct=ppm_as_percent(q.all_in_cost_ppm),
                    expires_at=q.expires_at)


def _remittance_out(r: Remittance) -> RemittanceOut:
    return RemittanceOut(remittance_id=r.remittance_id, partner_id=r.partner_id, reference=r.reference,
                         quote_id=r.quote_id, status=r.status.value, reason=r.reason, send_minor=str(r.send_minor),
                         receive_tyiyn=str(r.receive_tyiyn), channel=r.channel,
                         to_wallet_tyiyn=str(r.to_wallet_tyiyn), waterfall_tyiyn=str(r.waterfall_tyiyn),
                         to_bank_tyiyn=str(r.to_bank_tyiyn), created_at=r.created_at)


def _in_scope(actor: Actor, partner: Partner) -> bool:
    if actor.role is Role.BANK_OPERATOR:
        return partner.bank_code == actor.bank_code
    if actor.role is Role.PARTNER:
        return partner.partner_id == actor.subject
    return True  # the central bank, compliance officers


def _scoped_partner(request: Request, actor: Actor, partner_id: str) -> Partner:
    """The partner if the caller may see it; otherwise the answer for one that does not exist."""
    found = service(request).partner(partner_id)
    if not _in_scope(actor, found):
        raise PartnerNotFound(f"no partner {partner_id}")
    return found


def router() -> APIRouter:
    """The remittance routes."""
    r = APIRouter(prefix="/v1/remittances", tags=["remittances"])

    @r.post("/partners", status_code=201, response_model=PartnerOut, responses=WRITE_PROBLEMS)
    def onboard(request: Request, body: PartnerIn, key: IdempotencyKey,
                actor: Annotated[Actor, Depends(Authorize("remittance.partners.onboard"))]) -> Response:
        """Onboard a foreign partner for a bank (a bank for itself only) and open its position."""
        if actor.role is Role.BANK_OPERATOR and body.bank_code != actor.bank_code:
            raise ApiProblem(403, "forbidden", "Forbidden", "a bank onboards partners for itself only")

        def produce() -> Response:
            done = service(request).onboard_partner(body.partner_id, body.name, PartnerKind(body.kind),
                                                    body.country, body.bank_code, amount(body.month_limit_tyiyn))
            return json(_partner_out(done, service(request).position_tyiyn(done.partner_id)), 201)
        return idempotent(request, actor, key, body, produce)

    @r.get("/partners", response_model=PartnerPage, responses=READ_PROBLEMS)
    def partners(request: Request,
                 actor: Annotated[Actor, Depends(Authorize("remittance.partners.list"))]) -> JSONResponse:
        """The partners in the caller's scope."""
        found = reads(request).partners(actor.bank_code if actor.role is Role.BANK_OPERATOR else None)
        mine = [p for p in found if _in_scope(actor, p)]
        return json(PartnerPage(items=[_partner_out(p, service(request).position_tyiyn(p.partner_id))
                                       for p in mine]))

    @r.get("/partners/{partner_id}", response_model=PartnerOut, responses=READ_PROBLEMS)
    def partner(request: Request, partner_id: PartnerPath,
                actor: Annotated[Actor, Depends(Authorize("remittance.partners.read"))]) -> JSONResponse:
        """A partner and its position."""
        found = _scoped_partner(request, actor, partner_id)
        return json(_partner_out(found, service(request).position_tyiyn(partner_id)))

    @r.post("/partners/{partner_id}/fundings", status_code=201, response_model=PartnerOut, responses=WRITE_PROBLEMS)
    def fund(request: Request, partner_id: PartnerPath, body: FundingIn, key: IdempotencyKey,
             actor: Annotated[Actor, Depends(Authorize("remittance.partners.fund"))]) -> Response:
        """Prefund the partner's position from the bank's float, or defund it back (its own bank only)."""
        def produce() -> Response:
            _scoped_partner(request, actor, partner_id)
            remit = service(request)
            funding_id = f"{partner_id[:30]}:{key}"[:64]
            (remit.prefund if body.kind == "prefund" else remit.defund)(partner_id, funding_id,
                                                                        amount(body.amount_tyiyn))
            return json(_partner_out(remit.partner(partner_id), remit.position_tyiyn(partner_id)), 201)
        return idempotent(request, actor, key, body, produce)

    @r.post("/partners/{partner_id}/corridors", status_code=201, response_model=CorridorOut,
            responses=WRITE_PROBLEMS)
    def configure(request: Request, partner_id: PartnerPath, body: CorridorIn, key: IdempotencyKey,
                  actor: Annotated[Actor, Depends(Authorize("remittance.corridors.configure"))]) -> Response:
        """Set the partner's corridor of one currency (replacing its earlier configuration)."""
        def produce() -> Response:
            _scoped_partner(request, actor, partner_id)
            corridor = Corridor(f"{partner_id}-{body.currency.lower()}"[:64], partner_id, body.currency,
                                int(body.fee_fixed_minor), body.fee_bps, body.fx_margin_bps,
                                int(body.transfer_max_minor), int(body.sender_month_max_minor))
            return json(_corridor_out(service(request).configure_corridor(corridor)), 201)
        return idempotent(request, actor, key, body, produce)

    @r.get("/partners/{partner_id}/corridors", response_model=CorridorPage, responses=READ_PROBLEMS)
    def corridors(request: Request, partner_id: PartnerPath,
                  actor: Annotated[Actor, Depends(Authorize("remittance.corridors.read"))]) -> JSONResponse:
        """The partner's corridors."""
        _scoped_partner(request, actor, partner_id)
        return json(CorridorPage(items=[_corridor_out(c) for c in reads(request).corridors(partner_id)]))

    @r.post("/quotes", status_code=201, response_model=QuoteOut, responses=WRITE_PROBLEMS)
    def quote(request: Request, body: QuoteIn, key: IdempotencyKey,
              actor: Annotated[Actor, Depends(Authorize("remittance.quotes.create"))]) -> Response:
        """Price a remittance before sending: one conversion, every fee, the all-in cost; it expires."""
        return idempotent(request, actor, key, body, lambda: json(_quote_out(
            service(request).quote(actor.subject, body.currency, int(body.send_minor))), 201))

    @r.post("", status_code=201, response_model=RemittanceOut, responses=WRITE_PROBLEMS)
    def send(request: Request, body: SendIn, key: IdempotencyKey,
             actor: Annotated[Actor, Depends(Authorize("remittance.send"))]) -> Response:
        """Send on a quote: paid into the wallet (or bank account), held for a compliance
        review (`pending_review`), or returned with its reason (problem `remittance-returned`,
        nothing moved). The same reference with the same body answers the first outcome."""
        def produce() -> Response:
            done = service(request).send(SendRequest(
                actor.subject, body.reference, body.quote_id, body.sender_id, body.sender_name, body.recipient_name,
                body.recipient_wallet_id or "", body.recipient_personal_number or "", body.travel_rule,
                body.travel_rule_inquiry_id or ""))
            return json(_remittance_out(done), 201)
        return idempotent(request, actor, key, body, produce)

    @r.get("/returns", response_model=RemittancePage, responses=READ_PROBLEMS)
    def returns(request: Request,
                actor: Annotated[Actor, Depends(Authorize("remittance.returns"))]) -> JSONResponse:
        """The caller's returned remittances with their reasons, newest first."""
        found = reads(request).remittances(actor.subject, Status.RETURNED)
        return json(RemittancePage(items=[_remittance_out(x) for x in found]))

    @r.get("/{remittance_id}", response_model=RemittanceOut, responses=READ_PROBLEMS)
    def status(request: Request, remittance_id: RemittancePath,
               actor: Annotated[Actor, Depends(Authorize("remittance.read"))]) -> JSONResponse:
        """A remittance's state (a partner its own; a bank its partners')."""
        remit = service(request)
        found = reads(request).remittance(remittance_id)
        if found is None or not _in_scope(actor, remit.partner(found.partner_id)):
            raise RemittanceNotFound(f"no remittance {remittance_id}")
        return json(_remittance_out(found))

    chain_routes.add(r)  # rail 2 (KGST on-chain), kept in its own module
    pacs008_routes.add(r)  # rail 3 (ISO 20022), kept in its own module
    return r
