"""/v1/interbank: the RTGS's doors — ISO 20022 messages in (XML), pacs.002 out; statements
and notifications; the central bank's operations (participants, collateral, LSM, end of day).

The RTGS itself is wired by the composition root (`digisom.api.interbank_wiring`).
"""

from __future__ import annotations

from datetime import date
from operator import attrgetter
from typing import Annotated, Final, Literal

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from digisom.http import fields
from digisom.http.idempotency import KEY_CHARS_MAX, KEY_PATTERN, IdempotencyKey, idempotent
from digisom.http.pagination import Cursor, Limit, decode_cursor, keyset_cursor
from digisom.http.permissions import Authorize
from digisom.http.problems import ApiProblem, problem_responses
from digisom.http.render import READ_PROBLEMS, WRITE_PROBLEMS, amount, json
from digisom.interbank.http.slots import rtgs
from digisom.interbank.records import (
    BankDayResult,
    DayReport,
    PaymentRecord,
    ScreeningStop,
    StopStatus,
    StoredMessage,
)
from digisom.kernel.access import Actor, Role

XML_MEDIA_TYPES: Final = frozenset({"application/xml", "text/xml"})
STATUS_HEADER: Final = "Digisom-Transaction-Status"
_XML_RESPONSE: Final = {"content": {"application/xml": {"schema": {"type": "string"}}}}

OptionalKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=KEY_CHARS_MAX, pattern=KEY_PATTERN,
           description="Optional here: a message's MsgId (per sending bank) is its idempotency key."),
]
BankQuery = Annotated[str | None, Query(pattern=r"^[A-Z0-9]{2,16}$", description="A bank code (default: yours).")]
MessageTypeQuery = Annotated[
    str | None, Query(alias="type", pattern=r"^[a-z]{4}\.[0-9]{3}\.[0-9]{3}\.[0-9]{2}$", examples=["camt.054.001.08"])
]
Day = Annotated[str, Path(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", description="Business date, YYYY-MM-DD.")]


class BankIn(BaseModel):
    """A bank joining the RTGS."""

    bank_code: fields.BankCode
    name: fields.ShortText
    bic: Annotated[str | None, Field(pattern=r"^[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")] = None


class BankOut(BaseModel):
    """A participant of the RTGS."""

    bank_code: str
    name: str
    bic: str | None
    settlement_account_id: str


class PledgeIn(BaseModel):
    """Collateral a bank pledged, at its value after haircut."""

    bank_code: fields.BankCode
    amount_tyiyn: fields.AmountTyiyn
    currency: fields.Currency


class PledgeOut(BaseModel):
    """The bank's total pledged and the intraday credit it has left."""

    bank_code: str
    pledged_tyiyn: str
    credit_available_tyiyn: str
    currency: fields.Currency = "KGS"


class EndOfDayIn(BaseModel):
    """Which business day to close (default: today in Bishkek)."""

    business_date: date | None = None


class BankDayOut(BaseModel):
    """One bank's end of day."""

    bank_code: str
    credit_drawn_tyiyn: str
    credit_repaid_tyiyn: str
    credit_unpaid_tyiyn: str
    credit_flagged: bool
    rejected_payments: int
    opening_balance_tyiyn: str
    closing_balance_tyiyn: str
    statement_message_id: str


class DayReportOut(BaseModel):
    """What end of day did."""

    business_date: date
    settled_by_final_lsm: int
    rejected: int
    banks: list[BankDayOut]


class LsmRunOut(BaseModel):
    """How many queued payments one gridlock resolution settled."""

    settled: int


class MessageOut(BaseModel):
    """A message the RTGS sent to a bank, with its XML."""

    seq: int
    bank_code: str
    message_id: str
    message_type: str
    business_date: date
    xml: str


class MessagePage(BaseModel):
    """A page of messages."""

    items: list[MessageOut]
    next_cursor: str | None


class QueuedOut(BaseModel):
    """A payment waiting in the RTGS queue."""

    seq: int
    message_id: str
    message_type: str
    end_to_end_id: str
    debtor_bank: str
    creditor_bank: str
    amount_tyiyn: str
    currency: fields.Currency = "KGS"
    priority: str
    business_date: date
    arrival_s: int
    attempt: int


class QueuedPage(BaseModel):
    """A page of the queue, in arrival order."""

    items: list[QueuedOut]
    next_cursor: str | None


def _queued(p: PaymentRecord) -> QueuedOut:
    return QueuedOut(seq=p.seq, message_id=p.message_id, message_type=p.message_type, end_to_end_id=p.end_to_end_id,
                     debtor_bank=p.debtor_bank, creditor_bank=p.creditor_bank, amount_tyiyn=str(p.amount_tyiyn),
                     priority=p.priority.value, business_date=p.business_date, arrival_s=p.arrival_s,
                     attempt=p.attempt)


class ScreeningStopOut(BaseModel):
    """A pacs.008 screening stopped: both parties' decisions (with the screening id, rule,
    score and list versions) and where it stands."""

    seq: int
    bank_code: str
    message_id: str
    end_to_end_id: str
    settlement_date: date
    amount_tyiyn: str
    currency: fields.Currency = "KGS"
    debtor_name: str
    debtor_decision: str
    debtor_reason: str
    creditor_name: str
    creditor_decision: str
    creditor_reason: str
    status: str
    officer: str | None
    payment_seq: int | None


class ScreeningStopPage(BaseModel):
    """A page of screening stops, oldest first."""

    items: list[ScreeningStopOut]
    next_cursor: str | None


def _stop(s: ScreeningStop) -> ScreeningStopOut:
    return ScreeningStopOut(seq=s.seq, bank_code=s.bank_code, message_id=s.message_id, end_to_end_id=s.end_to_end_id,
                            settlement_date=s.settlement_date, amount_tyiyn=str(s.amount_tyiyn),
                            debtor_name=s.debtor_name, debtor_decision=s.debtor_decision,
                            debtor_reason=s.debtor_reason, creditor_name=s.creditor_name,
                            creditor_decision=s.creditor_decision, creditor_reason=s.creditor_reason,
                            status=s.status.value, officer=s.officer, payment_seq=s.payment_seq)


def _bank_day(r: BankDayResult) -> BankDayOut:
    return BankDayOut(bank_code=r.bank_code, credit_drawn_tyiyn=str(r.credit_drawn_tyiyn),
                      credit_repaid_tyiyn=str(r.credit_repaid_tyiyn), credit_unpaid_tyiyn=str(r.credit_unpaid_tyiyn),
                      credit_flagged=r.flagged, rejected_payments=r.rejected_payments,
                      opening_balance_tyiyn=str(r.opening_balance_tyiyn),
                      closing_balance_tyiyn=str(r.closing_balance_tyiyn), statement_message_id=r.statement_message_id)


def _day_report(r: DayReport) -> DayReportOut:
    return DayReportOut(business_date=r.business_date, settled_by_final_lsm=r.settled_by_final_lsm,
                        rejected=r.rejected, banks=[_bank_day(b) for b in r.banks])


def _message(m: StoredMessage) -> MessageOut:
    return MessageOut(seq=m.seq, bank_code=m.bank_code, message_id=m.message_id, message_type=m.message_type,
                      business_date=m.business_date, xml=m.xml.decode("utf-8"))


# Messages, queued payments and screening stops are each paged by their sequence number.
_seq: Final = attrgetter("seq")


def _scope(actor: Actor, bank: str | None) -> str | None:
    """The bank a reader may see: a bank operator its own only; others any (None: all)."""
    if actor.role is Role.BANK_OPERATOR:
        if bank is not None and bank != actor.bank_code:
            raise ApiProblem(403, "forbidden", "Forbidden", "a bank reads its own messages only")
        return actor.bank_code
    return bank


def router() -> APIRouter:
    """The interbank routes."""
    r = APIRouter(prefix="/v1/interbank", tags=["interbank"])

    @r.post("/messages", response_class=Response, summary="Send an ISO 20022 payment message",
            responses={200: {"description": "A pacs.002: ACSC settled, PDNG queued, RJCT refused",
                             **_XML_RESPONSE}, **problem_responses(401, 403, 413, 422),
                       415: {"description": "Not application/xml", "content": {
                           "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}},
            openapi_extra={"requestBody": {"required": True, "content": {
                "application/xml": {"schema": {"type": "string", "description": "pacs.008, pacs.009 or pacs.004"}}}}})
    async def submit(request: Request, actor: Annotated[Actor, Depends(Authorize("interbank.submit"))],
                     _key: OptionalKey = None) -> Response:
        """A pacs.008, pacs.009 or pacs.004 whose debtor agent is the caller's bank. Every
        message that reaches the RTGS is answered with a pacs.002 (HTTP 200), a refused one
        (malformed, unknown, XML attacks, failed checks) with RJCT and its ISO reason code."""
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type not in XML_MEDIA_TYPES:
            raise ApiProblem(415, "unsupported-media-type", "Unsupported media type", "send application/xml")
        body = await request.body()
        answer = await run_in_threadpool(lambda: rtgs(request).submit(body, actor.bank_code))
        return Response(answer.xml, media_type="application/xml", headers={STATUS_HEADER: answer.status.value})

    @r.post("/banks", status_code=201, response_model=BankOut, responses=WRITE_PROBLEMS)
    def register(request: Request, body: BankIn, key: IdempotencyKey,
                 actor: Annotated[Actor, Depends(Authorize("interbank.register"))]) -> Response:
        """Make a bank a participant of the RTGS (its settlement account is its reserve account)."""
        def produce() -> Response:
            bank = rtgs(request).register_bank(body.bank_code, body.name, body.bic)
            return json(BankOut(bank_code=bank.bank_code, name=bank.name, bic=bank.bic,
                                settlement_account_id=str(bank.settlement_account_id)), 201)
        return idempotent(request, actor, key, body, produce)

    @r.post("/collateral", status_code=201, response_model=PledgeOut, responses=WRITE_PROBLEMS)
    def pledge(request: Request, body: PledgeIn, key: IdempotencyKey,
               actor: Annotated[Actor, Depends(Authorize("interbank.pledge"))]) -> Response:
        """Record pledged collateral: as much intraday credit, repaid by end of day."""
        def produce() -> Response:
            service = rtgs(request)
            pledged = service.pledge_collateral(body.bank_code, amount(body.amount_tyiyn), key)
            return json(PledgeOut(bank_code=body.bank_code, pledged_tyiyn=str(pledged),
                                  credit_available_tyiyn=str(service.liquidity(body.bank_code)[1])), 201)
        return idempotent(request, actor, key, body, produce)

    @r.post("/lsm-runs", status_code=201, response_model=LsmRunOut, responses=WRITE_PROBLEMS)
    def lsm_run(request: Request, key: IdempotencyKey,
                actor: Annotated[Actor, Depends(Authorize("interbank.lsm"))]) -> Response:
        """Run the multilateral gridlock resolution now (it also runs every 5 minutes)."""
        return idempotent(request, actor, key, None,
                          lambda: json(LsmRunOut(settled=rtgs(request).run_lsm()), 201))

    @r.post("/end-of-day", status_code=201, response_model=DayReportOut, responses=WRITE_PROBLEMS)
    def end_of_day(request: Request, body: EndOfDayIn, key: IdempotencyKey,
                   actor: Annotated[Actor, Depends(Authorize("interbank.eod"))]) -> Response:
        """Close the business day: final LSM run, queued payments rejected (AM04), intraday
        credit repaid or flagged, a camt.053 per bank. Again for a closed day: the same report."""
        return idempotent(request, actor, key, body, lambda: json(
            _day_report(rtgs(request).end_of_day(body.business_date)), 201))

    @r.get("/statements/{day}", responses={**READ_PROBLEMS, 200: _XML_RESPONSE}, response_model=MessagePage)
    def statements(request: Request, day: Day, actor: Annotated[Actor, Depends(Authorize("interbank.statements"))],
                   bank: BankQuery = None,
                   format: Annotated[Literal["json", "xml"], Query()] = "json") -> Response:
        """The camt.053 end-of-day statements of `day`: JSON (every bank in scope, XML inside),
        or with `format=xml` one bank's camt.053 itself."""
        try:
            business_date = date.fromisoformat(day)
        except ValueError:
            raise ApiProblem(422, "invalid-request", "The request is not valid", "day is not a date") from None
        scope = _scope(actor, bank)
        service = rtgs(request)
        if format == "xml":
            if scope is None:
                raise ApiProblem(422, "invalid-request", "The request is not valid", "format=xml needs bank")
            found = service.statement(scope, business_date)
            if found is None:
                raise ApiProblem(404, "not-found", "Not found", f"no statement of {scope} for {day} (end of day?)")
            return Response(found.xml, media_type="application/xml")
        items = [_message(m) for m in service.statements(business_date) if scope is None or m.bank_code == scope]
        return json(MessagePage(items=items, next_cursor=None))

    @r.get("/messages", response_model=MessagePage, responses=READ_PROBLEMS)
    def messages(request: Request, actor: Annotated[Actor, Depends(Authorize("interbank.messages"))],
                 bank: BankQuery = None, message_type: MessageTypeQuery = None,
                 cursor: Cursor = None, limit: Limit = 50) -> JSONResponse:
        """What the RTGS sent: pacs.002 status reports, forwarded orders, camt.054
        notifications, camt.053 statements — a bank its own, the central bank and auditors all."""
        found = rtgs(request).messages(_scope(actor, bank), decode_cursor(cursor), limit, message_type)
        return json(MessagePage(items=[_message(m) for m in found], next_cursor=keyset_cursor(found, limit, _seq)))

    @r.get("/queue", response_model=QueuedPage, responses=READ_PROBLEMS)
    def queue(request: Request, _actor: Annotated[Actor, Depends(Authorize("interbank.queue"))],
              cursor: Cursor = None, limit: Limit = 50) -> JSONResponse:
        """The payments waiting in the queue, every bank's, in arrival order."""
        found = rtgs(request).queued(decode_cursor(cursor), limit)
        return json(QueuedPage(items=[_queued(p) for p in found], next_cursor=keyset_cursor(found, limit, _seq)))

    @r.get("/screening-stops", response_model=ScreeningStopPage, responses=READ_PROBLEMS)
    def screening_stops(request: Request,
                        actor: Annotated[Actor, Depends(Authorize("interbank.screening_stops"))],
                        status: Annotated[Literal["refused", "held_for_screening", "released", "rejected"] | None,
                                          Query()] = None,
                        cursor: Cursor = None, limit: Limit = 50) -> JSONResponse:
        """The pacs.008s that screening of the debtor's and creditor's names stopped: refused
        on a hit, held out of the queue on a review (`held_for_screening`) until an officer's
        decision releases or rejects them."""
        del actor  # the central bank, compliance officers and auditors see every bank's
        found = rtgs(request).screening_stops(StopStatus(status) if status else None, decode_cursor(cursor), limit)
        return json(ScreeningStopPage(items=[_stop(s) for s in found],
                                      next_cursor=keyset_cursor(found, limit, _seq)))

    return r
