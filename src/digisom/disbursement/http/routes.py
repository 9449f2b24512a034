"""/v1/disbursement: government payments (programmes, uploaded runs, dual-control approval,
background execution, reconciliation); /v1/taxes: taxes and fees paid from a wallet;
/v1/public/spending: what each programme paid per region, with no personal data.

Dual control: the operator (token `sub`) who uploaded a run may not approve it — 403
`dual-control` (the caller is authenticated but not allowed this act on this run); a run
in the wrong state for the request is 409 `wrong-state`.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from digisom.disbursement import reconciliation, spending
from digisom.disbursement.http import schemas as d
from digisom.disbursement.http.executions import DisbursementRuntime
from digisom.disbursement.http.slots import disbursement, tax_payers
from digisom.disbursement.model import FileFormat
from digisom.disbursement.model import NotFound as DisbursementNotFound
from digisom.disbursement.parsing import FILE_BYTES_MAX
from digisom.disbursement.taxes import TaxService
from digisom.http.idempotency import IdempotencyKey, idempotent
from digisom.http.pagination import Cursor, Limit, decode_cursor, offset_cursor
from digisom.http.permissions import Authorize
from digisom.http.problems import ApiProblem
from digisom.http.render import READ_PROBLEMS, WRITE_PROBLEMS, amount, json
from digisom.kernel.access import Actor, Role

# The upload route takes whole files (the domain's limit); every other route keeps the
# app's small body limit. `app.BodyLimit` reads this.
UPLOAD_PATH_PATTERN: Final = r"^/v1/disbursement/programmes/[^/]+/runs$"
UPLOAD_BODY_BYTES_MAX: Final = FILE_BYTES_MAX
MEDIA_FORMATS: Final = {"text/csv": FileFormat.CSV, "application/xml": FileFormat.PAIN001,
                        "text/xml": FileFormat.PAIN001}
ProgrammePath = Annotated[str, Path(pattern=d.PROGRAMME_ID_PATTERN, description="A programme id.")]
RunPath = Annotated[str, Path(pattern=d.RUN_ID_PATTERN, description="A run id.")]
ReceiptPath = Annotated[str, Path(pattern=d.RECEIPT_ID_PATTERN, description="A receipt id.")]
PeriodQuery = Annotated[str, Query(pattern=d.PERIOD_PATTERN, description="The month paid, YYYY-MM.")]
_FILE_BODY: Final = {"requestBody": {"required": True, "content": {
    "text/csv": {"schema": {"type": "string", "description": "pin,amount_tyiyn|amount,region[,name]"}},
    "application/xml": {"schema": {"type": "string", "description": "ISO 20022 pain.001"}}}}}
_UNSUPPORTED_MEDIA: Final[dict[int | str, dict[str, Any]]] = {415: {
    "description": "Neither text/csv nor application/xml",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}
_REPORT_RESPONSE: Final = {"content": {"text/csv": {"schema": {"type": "string"}}}}


def _run_detail(runtime: DisbursementRuntime, run_id: str, status: int = 200) -> Response:
    run = runtime.service.run(run_id)
    worker = runtime.executions.state(run_id)
    totals = spending.status_totals(runtime.engine, run_id)
    return json(d.run_detail_out(run, totals, worker), status)


def _taxes(request: Request) -> TaxService:
    """The tax service, if this process knows the treasury's revenue account (else 503)."""
    runtime = disbursement(request)
    if runtime.tax_revenue_account is None:
        raise ApiProblem(503, "unavailable", "The service cannot take this request now",
                         "no treasury revenue account is configured for taxes")
    return runtime.taxes


def router() -> APIRouter:
    """The disbursement, tax and public spending routes."""
    r = APIRouter()

    @r.post("/v1/disbursement/programmes", status_code=201, response_model=d.ProgrammeOut, responses=WRITE_PROBLEMS,
            tags=["disbursement"])
    def create_programme(request: Request, body: d.ProgrammeIn, key: IdempotencyKey,
                         actor: Annotated[Actor, Depends(Authorize("disbursement.programmes.create"))]) -> Response:
        """A programme (pensions, child benefit, ...) paying from a wallet of the treasury or a
        ministry, with its budget line. Any other wallet, or a frozen or closed one, is 422
        `source-wallet-refused` (with its `reason`); the wallet is checked again before each
        batch a run pays."""
        svc = disbursement(request).service
        return idempotent(request, actor, key, body, lambda: json(d.programme_out(
            svc.create_programme(body.id, body.name, body.source_wallet_id, int(body.budget_tyiyn),
                                 benefit_scheme=body.benefit_scheme)), 201))

    @r.get("/v1/disbursement/programmes/{programme_id}", response_model=d.ProgrammeOut, responses=READ_PROBLEMS,
           tags=["disbursement"])
    def get_programme(request: Request, programme_id: ProgrammePath,
                      _actor: Annotated[Actor, Depends(Authorize("disbursement.programmes.read"))]) -> Response:
        """A programme and what remains on its budget line."""
        svc = disbursement(request).service
        return json(d.programme_out(svc.programme(programme_id)))

    @r.post("/v1/disbursement/programmes/{programme_id}/runs", status_code=201, response_model=d.RunOut,
            responses={**WRITE_PROBLEMS, **_UNSUPPORTED_MEDIA}, openapi_extra=_FILE_BODY, tags=["disbursement"])
    async def upload(request: Request, programme_id: ProgrammePath, period: PeriodQuery, key: IdempotencyKey,
                     actor: Annotated[Actor, Depends(Authorize("disbursement.runs.upload"))]) -> Response:
        """Upload a payment file (`text/csv`, or `application/xml` for ISO 20022 pain.001) for
        `period`. Every row is checked first: one bad row refuses the whole file (422
        `file-refused` with each error's line and reason) and nothing is recorded. The run then
        waits for another operator's approval. Files up to 256 MiB."""
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        file_format = MEDIA_FORMATS.get(media_type)
        if file_format is None:
            raise ApiProblem(415, "unsupported-media-type", "Unsupported media type",
                             "send text/csv or application/xml (pain.001)")
        data = await request.body()
        fingerprint = d.UploadFingerprint(period=period, file_format=file_format,
                                          file_sha256=hashlib.sha256(data).hexdigest())
        svc = disbursement(request).service
        return await run_in_threadpool(idempotent, request, actor, key, fingerprint, lambda: json(
            d.run_out(svc.upload(actor.subject, key, programme_id, period, data, file_format)), 201))

    @r.post("/v1/disbursement/runs/{run_id}/approval", response_model=d.RunOut, responses=WRITE_PROBLEMS,
            tags=["disbursement"])
    def approve(request: Request, run_id: RunPath, key: IdempotencyKey,
                actor: Annotated[Actor, Depends(Authorize("disbursement.runs.approve"))]) -> Response:
        """Approve an uploaded run. The operator who uploaded it may not (403 `dual-control`)."""
        svc = disbursement(request).service
        return idempotent(request, actor, key, None, lambda: json(d.run_out(
            svc.approve(actor.subject, run_id))))

    @r.post("/v1/disbursement/runs/{run_id}/execution", status_code=202, response_model=d.RunDetailOut,
            responses=WRITE_PROBLEMS, tags=["disbursement"])
    def execute(request: Request, run_id: RunPath, _key: IdempotencyKey,
                _actor: Annotated[Actor, Depends(Authorize("disbursement.runs.execute"))]) -> Response:
        """Start or resume paying an approved run in the background (202); poll
        `GET /v1/disbursement/runs/{run_id}`. Idempotent by nature: while the run executes, a
        second call only reports progress; for a completed run it answers 200. (The response
        is live progress, so it is not replayed from the idempotency store.)"""
        runtime = disbursement(request)

        def start() -> Response:
            if not runtime.start_execution(run_id):
                return _run_detail(runtime, run_id)
            response = _run_detail(runtime, run_id, 202)
            response.headers["Location"] = f"/v1/disbursement/runs/{run_id}"
            return response

        return start()

    @r.get("/v1/disbursement/runs/{run_id}", response_model=d.RunDetailOut, responses=READ_PROBLEMS,
           tags=["disbursement"])
    def get_run(request: Request, run_id: RunPath,
                _actor: Annotated[Actor, Depends(Authorize("disbursement.runs.read"))]) -> Response:
        """A run's status and progress: batches done, payments and tyiyn by status (pending,
        paid, unclaimed, rejected), and whether this process's worker is executing it."""
        runtime = disbursement(request)
        return _run_detail(runtime, run_id)

    @r.get("/v1/disbursement/runs/{run_id}/report", responses={**READ_PROBLEMS, 200: _REPORT_RESPONSE},
           tags=["disbursement"])
    def report(request: Request, run_id: RunPath,
               _actor: Annotated[Actor, Depends(Authorize("disbursement.runs.report"))]) -> Response:
        """The reconciliation report: every recipient's outcome with its ledger transfer id.
        `Accept: text/csv` for CSV, otherwise JSON (amounts as strings of tyiyn)."""
        svc = disbursement(request).service
        as_csv = "text/csv" in request.headers.get("accept", "")

        def render() -> Response:
            found = svc.reconciliation(run_id)
            if as_csv:
                return Response(reconciliation.to_csv(found), media_type="text/csv")
            return Response(reconciliation.to_json(found), media_type="application/json")

        return render()

    @r.post("/v1/disbursement/runs/{run_id}/returns", status_code=201, response_model=d.ReturnOut,
            responses=WRITE_PROBLEMS, tags=["disbursement"])
    def record_return(request: Request, run_id: RunPath, body: d.ReturnIn, key: IdempotencyKey,
                      actor: Annotated[Actor, Depends(Authorize("disbursement.runs.return"))]) -> Response:
        """A bank sends back a payment it could not credit to its customer's account (closed,
        name mismatch): the money leaves its digital som float for the programme's treasury
        account and the budget line is restored. Only a payment credited to this bank's own
        float (a bank-account recipient) can be returned here; anything else is 404, so a bank
        learns nothing about other banks' recipients."""
        svc = disbursement(request).service
        own_float = tax_payers(request).bank_float_account_id(actor.bank_code or "")

        def give_back() -> Response:
            if svc.credited_account_id(run_id, body.pin) != own_float:
                raise DisbursementNotFound(f"no payment to {body.pin} through this bank in run {run_id}")
            returned = svc.record_return(actor.principal, run_id, body.pin, body.reason, key)
            return json(d.return_out(returned), 201)

        return idempotent(request, actor, key, body, give_back)

    @r.post("/v1/disbursement/runs/{run_id}/repayment", response_model=d.RepaymentOut, responses=WRITE_PROBLEMS,
            tags=["disbursement"])
    def repay(request: Request, run_id: RunPath, key: IdempotencyKey,
              actor: Annotated[Actor, Depends(Authorize("disbursement.runs.repay"))]) -> Response:
        """Try again for a completed run's unclaimed, refused and returned recipients: those
        the alias directory now resolves (a wallet opened since, a new account) are paid under
        a new attempt, within the budget line; the others keep their status. Answers when they
        are paid (re-payments are few; the run's own execution is the background one)."""
        svc = disbursement(request).service
        return idempotent(request, actor, key, None, lambda: json(d.repayment_out(
            svc.repay(actor.subject, run_id, key))))

    @r.post("/v1/taxes", status_code=201, response_model=d.ReceiptOut, responses=WRITE_PROBLEMS, tags=["taxes"])
    def pay_tax(request: Request, body: d.TaxIn, key: IdempotencyKey,
                actor: Annotated[Actor, Depends(Authorize("taxes.pay"))]) -> Response:
        """Pay a tax or fee from a wallet (its holder, or its bank for the holder) against the
        tax office's ISO 11649 reference (`RF..`, check digits verified). One ledger transfer
        to the treasury's revenue account; the same key again returns the same receipt."""
        amount_tyiyn = amount(body.amount_tyiyn)

        def pay() -> Response:
            payer_account_id = tax_payers(request).payer_account_id(actor, body.wallet_id, amount_tyiyn)
            receipt = _taxes(request).pay(actor.principal, key, payer_account_id, body.reference, amount_tyiyn)
            return json(d.receipt_out(receipt), 201)

        return idempotent(request, actor, key, body, pay)

    @r.get("/v1/taxes/receipts/{receipt_id}", response_model=d.ReceiptOut, responses=READ_PROBLEMS, tags=["taxes"])
    def get_receipt(request: Request, receipt_id: ReceiptPath,
                    actor: Annotated[Actor, Depends(Authorize("taxes.receipt"))],
                    wallet_id: Annotated[str | None, Query(pattern=r"^w[a-z2-7]{24}$",
                                                           description="The paying wallet (holders, banks).")] = None,
                    ) -> Response:
        """A tax receipt: the treasury and auditors any; a holder or bank only a receipt of a
        payment from a wallet it may read (name it in `wallet_id`)."""
        receipt = disbursement(request).taxes.receipt(receipt_id)
        if actor.role in (Role.WALLET_HOLDER, Role.BANK_OPERATOR):
            if wallet_id is None:
                raise ApiProblem(422, "invalid-request", "The request is not valid", "name the paying wallet_id")
            # 403/404 unless the caller may read it
            readable_account_id = tax_payers(request).readable_account_id(actor, wallet_id)
            if receipt is not None and receipt.payer_account_id != readable_account_id:
                receipt = None
        if receipt is None:
            raise ApiProblem(404, "not-found", "Not found", "no such receipt")
        return json(d.receipt_out(receipt))

    @r.get("/v1/public/spending", response_model=d.SpendingPage, responses=READ_PROBLEMS, tags=["public"])
    def public_spending(request: Request, _actor: Annotated[Actor, Depends(Authorize("public.spending"))],
                        programme: Annotated[str | None, Query(pattern=d.PROGRAMME_ID_PATTERN)] = None,
                        period: Annotated[str | None, Query(pattern=d.PERIOD_PATTERN)] = None,
                        cursor: Cursor = None, limit: Limit = 50) -> JSONResponse:
        """What each programme paid per period and region: payees paid and total paid, for
        completed runs only. No personal data; a cell with fewer than
        `min_payees_per_cell` payees is suppressed (no figures)."""
        offset = decode_cursor(cursor)
        cells = spending.spending(disbursement(request).engine, programme, period, offset, limit)
        return json(d.SpendingPage(items=[d.spending_cell_out(c) for c in cells],
                                   next_cursor=offset_cursor(offset, limit, cells),
                                   min_payees_per_cell=spending.MIN_PAYEES_PER_CELL))

    return r
