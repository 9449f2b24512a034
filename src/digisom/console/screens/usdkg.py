"""The USDKG issuer's screen: the coverage figure as it stands, today's published report,
the audits (signed ones, and for the issuer and auditors those awaiting a signature, as
the API shows them), publishing today's coverage report, the issuer's mints and
redemptions, and the auditor's count, signature and resolution.

The same calls and MATRIX operations as the API's `/v1/usdkg` routes, with the API's
request schemas: the page is `usdkg.coverage.report` (issuer, auditor); publishing is
`usdkg.coverage.publish` (a day already reported keeps its first report); a mint
(`usdkg.mints.create`, `MintIn`) and a redemption (`usdkg.redemptions.create`,
`RedemptionIn`) go through the one mint and redeem path, `UsdkgIssuer`, under the
operation id the API derives from the caller and its Idempotency-Key
(`scoped_operation_id`), here the form's one-time key: a resent form is answered from the
record, never minted twice. The auditor imports a count (`usdkg.audits.import`), signs it
(`usdkg.audits.sign`) and resolves its findings (`usdkg.audits.resolve`); the console
never holds a signer's key, so those forms take a signature made by the auditor's own
tool over the message the audit's page shows.
"""

from __future__ import annotations

import json
from typing import Annotated, Final

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from digisom.console.access import allowed, require
from digisom.console.errors import ConsoleRefusal
from digisom.console.i18n import _
from digisom.console.web import (
    FORM_KEY_BYTES,
    PREFIX,
    console_of,
    form_key,
    parsed,
    posted,
    render,
    see_other,
    signed_in,
    viewer,
)
from digisom.http.services import filled
from digisom.usdkg import reports, signing, weight_list
from digisom.usdkg.audits import signed_body
from digisom.usdkg.http import schemas as s
from digisom.usdkg.http.routes import UNSIGNED_AUDIT_READERS, AuditPath, visible
from digisom.usdkg.http.slots import USDKG
from digisom.usdkg.issuer import Issuer
from digisom.usdkg.operations import OperationKind, scoped_operation_id

BASE: Final = PREFIX + "/usdkg"
# The auditor's count is a whole file, up to the domain's limit (as over the API);
# `console.app` reads these for the body limit.
UPLOAD_PATH_PATTERN: Final = r"^/console/usdkg/audits$"
UPLOAD_BYTES_MAX: Final = weight_list.FILE_BYTES_MAX
# Who may do each kind of operation (the API's routes' operations).
OPERATION_WRITES: Final = {OperationKind.MINT: "usdkg.mints.create",
                           OperationKind.REDEEM: "usdkg.redemptions.create"}
FormKeyPath = Annotated[str, Path(pattern=rf"^[0-9a-f]{{{2 * FORM_KEY_BYTES}}}$")]


def _issuer(request: Request) -> Issuer:
    return filled(console_of(request).api, USDKG)


def _published(service: Issuer, day: str) -> reports.DailyReport | None:
    try:
        return reports.daily_report(service.engine, day)
    except KeyError:
        return None


def _publish_today(service: Issuer) -> reports.DailyReport:
    # As the API's route: the figure and the report's day from one reading of the clock.
    now = service.clock()
    return reports.publish_daily(service.engine, service.coverage.figure(now), now)


def router() -> APIRouter:
    """The coverage page, the audit pages and their forms."""
    r = APIRouter()

    @r.get(BASE)
    def coverage(request: Request) -> Response:
        """The figure now, today's report if published, the audits this role may see, and
        the forms this role may use."""
        who = viewer(request, "usdkg.coverage.report")
        service = _issuer(request)
        figure = reports.public_figure(service.coverage.figure(service.clock()))
        day = service.clock().date().isoformat()
        audits = [a for a in service.audits.all() if a.signed or who.actor.role in UNSIGNED_AUDIT_READERS]
        return render(request, "usdkg/coverage.html", who, figure=figure, day=day,
                      report=_published(service, day), audits=audits, chain_ids=service.minting.chain_ids)

    @r.post(BASE + "/reports")
    async def publish(request: Request) -> Response:
        """Keep today's coverage report (`usdkg.coverage.publish`)."""
        await posted(request, "usdkg.coverage.publish")
        await run_in_threadpool(_publish_today, _issuer(request))
        return see_other(BASE)

    @r.post(BASE + "/mints")
    async def mint(request: Request) -> Response:
        """Mint on one chain within coverage (`usdkg.mints.create`), once per form."""
        who, form = await posted(request, "usdkg.mints.create")
        body = parsed(s.MintIn, {"chain_id": form.get("chain_id"), "to": form.get("to"),
                                 "amount_units": form.get("amount_units")})
        key = form_key(form)
        await run_in_threadpool(_issuer(request).minting.mint, body.chain_id, body.to, int(body.amount_units),
                                scoped_operation_id(who.actor.principal, key))
        return see_other(f"{BASE}/operations/{key}")

    @r.post(BASE + "/redemptions")
    async def redeem(request: Request) -> Response:
        """Burn what waits at the redemption address (`usdkg.redemptions.create`), once per form."""
        who, form = await posted(request, "usdkg.redemptions.create")
        body = parsed(s.RedemptionIn, {"chain_id": form.get("chain_id"), "amount_units": form.get("amount_units")})
        key = form_key(form)
        await run_in_threadpool(_issuer(request).minting.redeem, body.chain_id, int(body.amount_units),
                                scoped_operation_id(who.actor.principal, key))
        return see_other(f"{BASE}/operations/{key}")

    @r.get(BASE + "/operations/{key}")
    def operation(request: Request, key: FormKeyPath) -> Response:
        """The operator's own mint or redemption sent with this form key: what the API's
        route answers (the operation as recorded)."""
        who = signed_in(request)
        if not any(allowed(who.actor, op) for op in OPERATION_WRITES.values()):
            raise ConsoleRefusal(403, _("Not allowed"), _("Your role may not do this."))
        found = _issuer(request).minting.operation(scoped_operation_id(who.actor.principal, key))
        if found is None:
            raise ConsoleRefusal(404, _("Not found"), _("There is nothing at this address, or it is not yours "
                                                        "to see."))
        require(who.actor, OPERATION_WRITES[found.request.kind])
        return render(request, "usdkg/operation.html", who, operation=found)

    @r.post(BASE + "/audits")
    async def import_count(request: Request) -> Response:
        """The auditor's bar count for a date (`usdkg.audits.import`), reconciled with the register."""
        _who, form = await posted(request, "usdkg.audits.import", files_max=1)
        body = parsed(s.AuditCountIn, {"audit_date": form.get("audit_date"), "auditor": form.get("auditor")})
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ConsoleRefusal(400, _("Invalid form"), _("Choose the count's CSV file."))
        data = await upload.read(UPLOAD_BYTES_MAX + 1)  # one byte more: the domain refuses an oversized file
        service = _issuer(request)
        audit = await run_in_threadpool(service.audits.import_count, body.audit_date, body.auditor, data,
                                        service.clock())
        return see_other(f"{BASE}/audits/{audit.audit_id}")

    @r.get(BASE + "/audits/{audit_id}")
    def audit(request: Request, audit_id: AuditPath) -> Response:
        """An audit and its report (`usdkg.audits.read`: unsigned ones for the issuer and
        auditors only, as over the API); what its auditor signs, and the auditor's forms."""
        who = viewer(request, "usdkg.audits.read")
        found = visible(who.actor, _issuer(request).audits.audit(audit_id))
        to_sign = signing.message(signing.AUDIT_TAG, signed_body(found.audit_date.isoformat(), found.report_sha256))
        return render(request, "usdkg/audit.html", who, audit=found, report=json.loads(found.report),
                      to_sign=to_sign.decode(), resolution_tag=signing.RESOLUTION_TAG)

    @r.post(BASE + "/audits/{audit_id}/signature")
    async def sign(request: Request, audit_id: AuditPath) -> Response:
        """Publish the audit under its auditor's signature (`usdkg.audits.sign`)."""
        _who, form = await posted(request, "usdkg.audits.sign")
        body = parsed(s.SignatureIn, {"signature": form.get("signature")})
        service = _issuer(request)
        await run_in_threadpool(service.audits.sign, audit_id, bytes.fromhex(body.signature), service.clock())
        return see_other(f"{BASE}/audits/{audit_id}")

    @r.post(BASE + "/audits/{audit_id}/resolution")
    async def resolve(request: Request, audit_id: AuditPath) -> Response:
        """Close a signed audit's findings by the auditor's signed resolution (`usdkg.audits.resolve`)."""
        _who, form = await posted(request, "usdkg.audits.resolve")
        body = parsed(s.ResolutionIn, {"resolution": form.get("resolution"), "signature": form.get("signature")})
        service = _issuer(request)
        await run_in_threadpool(service.audits.resolve, audit_id, body.resolution, bytes.fromhex(body.signature),
                                service.clock())
        return see_other(f"{BASE}/audits/{audit_id}")

    return r
