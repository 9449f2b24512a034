"""/v1/usdkg: the gold-backed dollar's issuer (docs/usdkg.md, "Interfaces").

Who does what (the permission matrix, `digisom.http.permissions`): the issuer operator
registers signers' keys, uploads signed price files and publishes the daily coverage
report; the custodian imports weight lists and moves bars, each act also signed by its
key (the token says who may call; the signature says which custodian acts); the auditor
imports a count, signs its result and resolves findings. Anyone reads the public figure,
the published bar list, prices, signed audits and the per-address lookup.
"""

from __future__ import annotations

import hashlib
import json as jsonlib
from datetime import date
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import AwareDatetime
from starlette.concurrency import run_in_threadpool

from digisom.http.idempotency import IdempotencyKey, idempotent
from digisom.http.pagination import Cursor, Limit, decode_cursor, offset_cursor
from digisom.http.permissions import Authorize
from digisom.http.problems import ApiProblem, problem_responses
from digisom.http.render import READ_PROBLEMS, WRITE_PROBLEMS, json
from digisom.kernel.access import Actor, Role
from digisom.usdkg import reports, signers, weight_list
from digisom.usdkg.audits import Audit, render_html
from digisom.usdkg.errors import CoverageRefused, UnknownAudit, UnknownKey, UnknownReport
from digisom.usdkg.http import schemas as s
from digisom.usdkg.http.slots import issuer
from digisom.usdkg.issuer import Issuer
from digisom.usdkg.model import BarStatus, MovementKind, SignerRole
from digisom.usdkg.operations import scoped_operation_id
from digisom.usdkg.prices import SignedPriceFile

# Weight lists and bar counts are whole files (the domain's limit); `app.BodyLimit`
# reads these patterns. A price file fits the app's small limit.
UPLOAD_PATH_PATTERN: Final = r"^/v1/usdkg/(bars/imports|audits)$"
UPLOAD_BODY_BYTES_MAX: Final = weight_list.FILE_BYTES_MAX
# Who sees an audit before its auditor signed it.
UNSIGNED_AUDIT_READERS: Final = frozenset({Role.ISSUER_OPERATOR, Role.AUDITOR})

SerialPath = Annotated[str, Path(pattern=s.SERIAL_PATH_PATTERN, description="A bar's serial number.")]
AuditPath = Annotated[int, Path(ge=1, le=2**31 - 1, description="An audit's id.")]
DayPath = Annotated[date, Path(description="A day, YYYY-MM-DD (UTC).")]
NameQuery = Annotated[str, Query(pattern=s.NAME_PATTERN)]
_CSV_BODY: Final = {"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}}
_PRICE_BODY: Final = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "{price_cents_per_oz, as_of, signer, signature}"}}}}}
_UNSUPPORTED_MEDIA: Final[dict[int | str, dict[str, Any]]] = {415: {
    "description": "Not the file's media type",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}}
_CSV_RESPONSE: Final = {"content": {"text/csv": {"schema": {"type": "string"}}}}
_HTML_RESPONSE: Final = {"content": {"text/html": {"schema": {"type": "string"}}}}
REFUSABLE_READ: Final = {**READ_PROBLEMS, **problem_responses(409)}
_REPORT_RESPONSE: Final = {"content": {"application/json": {"schema": {"type": "object"}},
                                       "text/csv": {"schema": {"type": "string"}}}}


async def _file(request: Request, media_type: str) -> bytes:
    """The uploaded file, if it is sent as `media_type`."""
    sent = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if sent != media_type:
        raise ApiProblem(415, "unsupported-media-type", "Unsupported media type", f"send the file as {media_type}")
    return await request.body()


def _signature(text: str) -> bytes:
    return bytes.fromhex(text)  # the schema's pattern admits hex only


def visible(actor: Actor, audit: Audit) -> Audit:
    """An audit the caller may see: published (signed) ones to all, the others only to
    the issuer and the auditors; the same answer as an unknown id otherwise."""
    if not audit.signed and actor.role not in UNSIGNED_AUDIT_READERS:
        raise UnknownAudit(f"no audit {audit.audit_id}")
    return audit


def _audit_json(audit: Audit) -> s.AuditOut:
    return s.audit_out(audit, jsonlib.loads(audit.report))


def _price_key(service: Issuer) -> Any:
    def key_of(name: str) -> bytes | None:
        with service.engine.connect() as conn:
            try:
                return signers.key_of(conn, name, SignerRole.PRICE_SIGNER)
            except UnknownKey:
                return None

    return key_of


def router() -> APIRouter:
    """The USDKG routes."""
    r = APIRouter(tags=["usdkg"])

    @r.post("/v1/usdkg/signers", status_code=201, response_model=s.SignerOut, responses=WRITE_PROBLEMS)
    def register_signer(request: Request, body: s.SignerIn, key: IdempotencyKey,
                        actor: Annotated[Actor, Depends(Authorize("usdkg.signers.register"))]) -> Response:
        """Register a custodian's, auditor's or price signer's Ed25519 key under a name; a
        name or key taken already is 409 `usdkg-key-taken`."""
        service = issuer(request)

        def add() -> Response:
            now = service.clock()
            signers.register(service.engine, body.name, body.role, bytes.fromhex(body.public_key), now)
            found = next(x for x in signers.listed(service.engine) if x[0] == body.name)
            return json(s.signer_out(*found), 201)

        return idempotent(request, actor, key, body, add)

    @r.get("/v1/usdkg/signers", response_model=s.SignerList, responses=READ_PROBLEMS)
    def list_signers(request: Request,
                     _actor: Annotated[Actor, Depends(Authorize("usdkg.signers.list"))]) -> JSONResponse:
        """Every registered key: anyone may verify a movement, a price file or an audit again."""
        return json(s.SignerList(items=[s.signer_out(*x) for x in signers.listed(issuer(request).engine)]))

    @r.get("/v1/usdkg/bars", response_model=s.BarPage, responses=READ_PROBLEMS)
    def list_bars(request: Request, _actor: Annotated[Actor, Depends(Authorize("usdkg.bars.list"))],
                  status: Annotated[BarStatus | None, Query(description="Only bars with this status.")] = None,
                  cursor: Cursor = None, limit: Limit = 50) -> JSONResponse:
        """The register's bars in serial order, with vault, custodian and status."""
        offset = decode_cursor(cursor)
        bars = issuer(request).register.bars(status, offset, limit)
        return json(s.BarPage(items=[s.bar_out(b) for b in bars], next_cursor=offset_cursor(offset, limit, bars)))

    @r.get("/v1/usdkg/bars/{serial}", response_model=s.BarOut, responses=READ_PROBLEMS)
    def get_bar(request: Request, serial: SerialPath,
                _actor: Annotated[Actor, Depends(Authorize("usdkg.bars.read"))]) -> JSONResponse:
        """One bar as it stands (404 `usdkg-unknown-bar`)."""
        return json(s.bar_out(issuer(request).register.bar(serial)))

    @r.post("/v1/usdkg/bars/imports", status_code=201, response_model=s.ImportOut,
            responses={**WRITE_PROBLEMS, **_UNSUPPORTED_MEDIA}, openapi_extra=_CSV_BODY)
    async def import_bars(request: Request, key: IdempotencyKey, vault: NameQuery, custodian: NameQuery,
                          at: Annotated[AwareDatetime, Query(description="When the bars arrived.")],
                          signature: Annotated[str, Query(pattern=s.SIGNATURE_PATTERN)],
                          actor: Annotated[Actor, Depends(Authorize("usdkg.bars.import"))]) -> Response:
        """An LBMA weight list (`text/csv`: `Serial number, Brand, Gross weight, Assay, Fine
        weight, Year`) arriving in `vault`, signed by `custodian` over `{kind: "arrive",
        custodian, vault, at, weight_list_sha256}`. Any bad row refuses the whole file (422
        `usdkg-rows-refused`, each row with its number and rule); a signature not the named
        custodian's is 403 `usdkg-bad-signature`. Files up to 32 MiB."""
        data = await _file(request, "text/csv")
        fingerprint = s.ImportFingerprint(vault=vault, custodian=custodian, at=at.isoformat(), signature=signature,
                                          file_sha256=hashlib.sha256(data).hexdigest())
        service = issuer(request)

        def take() -> Response:
            result = service.register.import_weight_list(data, vault=vault, custodian=custodian, at=at,
                                                         signature=_signature(signature), recorded_at=service.clock())
            return json(s.ImportOut(movement_id=result.movement_id, bars=result.bars,
                                    fine_moz=str(result.fine_moz)), 201)

        return await run_in_threadpool(idempotent, request, actor, key, fingerprint, take)

    @r.get("/v1/usdkg/weight-list", responses={**READ_PROBLEMS, 200: _CSV_RESPONSE})
    def export_weight_list(request: Request,
                           _actor: Annotated[Actor, Depends(Authorize("usdkg.bars.weight_list"))]) -> Response:
        """The bars in the vaults as an LBMA weight list (CSV): the published bar list."""
        return Response(issuer(request).register.weight_list(), media_type="text/csv")

    @r.post("/v1/usdkg/movements", status_code=201, response_model=s.MovementOut, responses=WRITE_PROBLEMS)
    def move(request: Request, body: s.MovementIn, key: IdempotencyKey,
             actor: Annotated[Actor, Depends(Authorize("usdkg.movements.create"))]) -> Response:
        """Dispatch bars towards a vault, receive them there, or withdraw them from the reserve,
        signed by the custodian. A withdrawal that would take coverage below the floor is 409
        `usdkg-coverage-refused` (rule `coverage_floor`)."""
        service = issuer(request)
        kind = MovementKind(body.kind)

        def act() -> Response:
            now = service.clock()
            if kind is MovementKind.WITHDRAW:
                movement_id = service.coverage.withdraw(body.serials, vault=body.vault, custodian=body.custodian,
                                                        at=body.at, signature=_signature(body.signature), now=now)
            else:
                movement_id = service.register.move(kind, body.serials, vault=body.vault, custodian=body.custodian,
                                                    at=body.at, signature=_signature(body.signature),
                                                    recorded_at=now)
            return json(s.MovementOut(movement_id=movement_id, kind=kind.value, bars=len(body.serials)), 201)

        return idempotent(request, actor, key, body, act)

    @r.post("/v1/usdkg/prices", status_code=201, response_model=s.PriceOut,
            responses={**WRITE_PROBLEMS, **_UNSUPPORTED_MEDIA}, openapi_extra=_PRICE_BODY)
    async def upload_price(request: Request, key: IdempotencyKey,
                           actor: Annotated[Actor, Depends(Authorize("usdkg.prices.upload"))]) -> Response:
        """A price file signed by a registered price signer (`{price_cents_per_oz, as_of,
        signer, signature}`, at most 4 KiB). A signature not a price signer's is 403
        `usdkg-bad-signature`; a price in the future 422 `usdkg-invalid-price`."""
        data = await _file(request, "application/json")
        fingerprint = s.PriceFingerprint(file_sha256=hashlib.sha256(data).hexdigest())
        service = issuer(request)

        def record() -> Response:
            quote = service.prices.update_from(SignedPriceFile(data, _price_key(service)), service.clock())
            return json(s.price_out(quote), 201)

        return await run_in_threadpool(idempotent, request, actor, key, fingerprint, record)

    @r.get("/v1/usdkg/prices", response_model=s.PriceList, responses=READ_PROBLEMS)
    def price_history(request: Request, _actor: Annotated[Actor, Depends(Authorize("usdkg.prices.history"))],
                      limit: Limit = 50) -> JSONResponse:
        """The newest prices, newest first (US cents per troy ounce)."""
        return json(s.PriceList(items=[s.price_out(q) for q in issuer(request).prices.history(limit)]))

    @r.get("/v1/usdkg/coverage", responses={**READ_PROBLEMS, 200: {"content": {"application/json": {
        "schema": {"type": "object"}}}}})
    def public_figure(request: Request,
                      _actor: Annotated[Actor, Depends(Authorize("usdkg.coverage.figure"))]) -> JSONResponse:
        """The public figure: reserve, supply, coverage, the price and its age, the last audit
        and the next due date (`audit_overdue`), and `chains`, the chains whose supply was
        read (`[]`: no chain is configured in this process, so the supply shown is 0)."""
        service = issuer(request)
        return JSONResponse(reports.public_figure(service.coverage.figure(service.clock())))

    @r.get("/v1/usdkg/coverage/mint-check", response_model=s.MintCheckOut, responses=READ_PROBLEMS)
    def mint_check(request: Request, _actor: Annotated[Actor, Depends(Authorize("usdkg.coverage.mint_check"))],
                   amount_units: Annotated[str, Query(pattern=s.UNITS_PATTERN,
                                                      description="Token units (6 decimals).")]) -> JSONResponse:
        """Whether a mint of `amount_units` would pass every coverage rule now (nothing is
        minted here): `allowed`, or the `rule` that refuses it and why, with the figure."""
        service = issuer(request)
        now = service.clock()
        try:
            service.coverage.may_mint(int(amount_units), now)
        except CoverageRefused as refusal:
            return json(s.MintCheckOut(amount_units=amount_units, allowed=False, rule=refusal.rule,
                                       detail=refusal.detail, figure=service.coverage.figure(now).as_json()))
        return json(s.MintCheckOut(amount_units=amount_units, allowed=True, rule=None, detail=None,
                                   figure=service.coverage.figure(now).as_json()))

    @r.post("/v1/usdkg/coverage/reports", status_code=201, responses={**WRITE_PROBLEMS, 201: _REPORT_RESPONSE})
    def publish_report(request: Request, key: IdempotencyKey,
                       actor: Annotated[Actor, Depends(Authorize("usdkg.coverage.publish"))]) -> Response:
        """Keep today's coverage report (a day already reported keeps its first report)."""
        service = issuer(request)

        def publish() -> Response:
            now = service.clock()
            report = reports.publish_daily(service.engine, service.coverage.figure(now), now)
            return Response(report.json_bytes, status_code=201, media_type="application/json",
                            headers={"Location": f"/v1/usdkg/coverage/reports/{report.report_date}"})

        return idempotent(request, actor, key, None, publish)

    @r.get("/v1/usdkg/coverage/reports/{day}", responses={**READ_PROBLEMS, 200: _REPORT_RESPONSE})
    def daily_report(request: Request, day: DayPath,
                     _actor: Annotated[Actor, Depends(Authorize("usdkg.coverage.report"))]) -> Response:
        """A day's report as kept (JSON, its SHA-256 in `Report-SHA256`); `Accept: text/csv`
        for `field,value` CSV."""
        try:
            report = reports.daily_report(issuer(request).engine, day.isoformat())
        except KeyError:
            raise UnknownReport(f"no coverage report for {day}") from None
        headers = {"Report-SHA256": report.sha256}
        if "text/csv" in request.headers.get("accept", ""):
            return Response(report.as_csv(), media_type="text/csv", headers=headers)
        return Response(report.json_bytes, media_type="application/json", headers=headers)

    @r.post("/v1/usdkg/audits", status_code=201, response_model=s.AuditOut,
            responses={**WRITE_PROBLEMS, **_UNSUPPORTED_MEDIA}, openapi_extra=_CSV_BODY)
    async def import_count(request: Request, key: IdempotencyKey,
                           audit_date: Annotated[date, Query(description="The audit date (UTC).")],
                           auditor: NameQuery,
                           actor: Annotated[Actor, Depends(Authorize("usdkg.audits.import"))]) -> Response:
        """The auditor's bar count (`text/csv`: the weight-list columns plus `Vault, Count
        date`) for `audit_date`, reconciled with the register as of that day. A row counted
        on another day refuses the file (422 `usdkg-audit-date-mismatch`, naming the row)."""
        data = await _file(request, "text/csv")
        fingerprint = s.AuditFingerprint(audit_date=audit_date.isoformat(), auditor=auditor,
                                         file_sha256=hashlib.sha256(data).hexdigest())
        service = issuer(request)

        def take() -> Response:
            return json(_audit_json(service.audits.import_count(audit_date, auditor, data, service.clock())), 201)

        return await run_in_threadpool(idempotent, request, actor, key, fingerprint, take)

    @r.post("/v1/usdkg/audits/{audit_id}/signature", response_model=s.AuditOut, responses=WRITE_PROBLEMS)
    def sign_audit(request: Request, audit_id: AuditPath, body: s.SignatureIn, key: IdempotencyKey,
                   actor: Annotated[Actor, Depends(Authorize("usdkg.audits.sign"))]) -> Response:
        """Publish the audit under its auditor's signature over `{audit_date, report_sha256}`
        (another key is 403 `usdkg-bad-signature`)."""
        service = issuer(request)
        return idempotent(request, actor, key, body, lambda: json(_audit_json(
            service.audits.sign(audit_id, _signature(body.signature), service.clock()))))

    @r.post("/v1/usdkg/audits/{audit_id}/resolution", response_model=s.AuditOut, responses=WRITE_PROBLEMS)
    def resolve_audit(request: Request, audit_id: AuditPath, body: s.ResolutionIn, key: IdempotencyKey,
                      actor: Annotated[Actor, Depends(Authorize("usdkg.audits.resolve"))]) -> Response:
        """Close a signed audit's findings by the auditor's signed resolution; minting may
        resume."""
        service = issuer(request)
        return idempotent(request, actor, key, body, lambda: json(_audit_json(
            service.audits.resolve(audit_id, body.resolution, _signature(body.signature), service.clock()))))

    @r.get("/v1/usdkg/audits", response_model=s.AuditList, responses=READ_PROBLEMS)
    def list_audits(request: Request,
                    actor: Annotated[Actor, Depends(Authorize("usdkg.audits.read"))]) -> JSONResponse:
        """The audits, oldest first: the signed (published) ones; the issuer and auditors also
        see those awaiting a signature."""
        found = [a for a in issuer(request).audits.all() if a.signed or actor.role in UNSIGNED_AUDIT_READERS]
        return json(s.AuditList(items=[_audit_json(a) for a in found]))

    @r.get("/v1/usdkg/audits/{audit_id}", response_model=s.AuditOut, responses=READ_PROBLEMS)
    def get_audit(request: Request, audit_id: AuditPath,
                  actor: Annotated[Actor, Depends(Authorize("usdkg.audits.read"))]) -> JSONResponse:
        """One audit and its report."""
        return json(_audit_json(visible(actor, issuer(request).audits.audit(audit_id))))

    @r.get("/v1/usdkg/audits/{audit_id}/report", responses={**READ_PROBLEMS, 200: {"content": {
        "application/json": {"schema": {"type": "object"}}}}})
    def audit_report(request: Request, audit_id: AuditPath,
                     actor: Annotated[Actor, Depends(Authorize("usdkg.audits.read"))]) -> Response:
        """The published report, byte for byte: its SHA-256 is `report_sha256` (also in the
        `Report-SHA256` header), the value the auditor signed."""
        audit = visible(actor, issuer(request).audits.audit(audit_id))
        return Response(audit.report, media_type="application/json", headers={"Report-SHA256": audit.report_sha256})

    @r.get("/v1/usdkg/audits/{audit_id}/page", response_class=HTMLResponse,
           responses={**READ_PROBLEMS, 200: _HTML_RESPONSE})
    def audit_page(request: Request, audit_id: AuditPath,
                   actor: Annotated[Actor, Depends(Authorize("usdkg.audits.read"))]) -> HTMLResponse:
        """The audit's public page (HTML), showing the report's SHA-256."""
        return HTMLResponse(render_html(visible(actor, issuer(request).audits.audit(audit_id))))

    @r.post("/v1/usdkg/mints", status_code=201, response_model=s.OperationOut,
            responses={**WRITE_PROBLEMS, **problem_responses(503)})
    def mint(request: Request, body: s.MintIn, key: IdempotencyKey,
             actor: Annotated[Actor, Depends(Authorize("usdkg.mints.create"))]) -> Response:
        """Mint on one chain if every coverage rule passes (409 `usdkg-coverage-refused`
        naming the `rule` otherwise: nothing is minted). The check and the mint hold the
        issuer's mint lock, so two mints never both take the same room. Answers once the
        mint is confirmed. The operation is recorded under the caller and its key before the
        chain is asked: the same key again is answered from that record even if the first
        answer was lost (no second mint); a mint whose outcome was never recorded is 409
        `usdkg-operation-in-doubt`, never sent again. An unreachable node is 503."""
        service = issuer(request)
        operation_id = scoped_operation_id(actor.principal, key)
        return idempotent(request, actor, key, body, lambda: json(s.operation_out(
            service.minting.mint(body.chain_id, body.to, int(body.amount_units), operation_id)), 201))

    @r.post("/v1/usdkg/redemptions", status_code=201, response_model=s.OperationOut,
            responses={**WRITE_PROBLEMS, **problem_responses(503)})
    def redeem(request: Request, body: s.RedemptionIn, key: IdempotencyKey,
               actor: Annotated[Actor, Depends(Authorize("usdkg.redemptions.create"))]) -> Response:
        """Burn what holders sent to the redemption address on one chain (409
        `usdkg-redemption-refused` if less is waiting there), recorded and replayed like a
        mint. The custodian then withdraws the bars it releases (`POST /v1/usdkg/movements`,
        kind `withdraw`)."""
        service = issuer(request)
        operation_id = scoped_operation_id(actor.principal, key)
        return idempotent(request, actor, key, body, lambda: json(s.operation_out(
            service.minting.redeem(body.chain_id, int(body.amount_units), operation_id)), 201))

    @r.get("/v1/usdkg/lookup/{address}", response_model=s.LookupOut, responses=REFUSABLE_READ)
    def lookup(request: Request,
               address: Annotated[str, Path(pattern=s.ADDRESS_PATTERN, description="An EVM or TRON address.")],
               _actor: Annotated[Actor, Depends(Authorize("usdkg.lookup"))]) -> JSONResponse:
        """Which bars back an address's tokens, by the published allocation rule (bars in
        serial order, holders largest first); before any price, no bar backs anything.
        409 `usdkg-holders-not-indexed` where no holder index is configured."""
        found = issuer(request).lookup(address)
        return json(s.lookup_out(found.address, found.price_cents_per_oz, found.backing))

    return r
