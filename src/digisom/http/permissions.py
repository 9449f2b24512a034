"""The permission matrix: which roles may call which operation. Routes declare their
operation with `Authorize("...")`; the role-matrix test and docs/security.md are both
generated from this one table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Final

from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from digisom.http.auth import TokenError, TokenVerifier
from digisom.http.problems import ApiProblem
from digisom.kernel.access import Actor, Role

CB: Final = Role.CENTRAL_BANK_OPERATOR
BANK: Final = Role.BANK_OPERATOR
TREASURY: Final = Role.TREASURY_OPERATOR
HOLDER: Final = Role.WALLET_HOLDER
AUDITOR: Final = Role.AUDITOR
ISSUER: Final = Role.ISSUER_OPERATOR
CUSTODIAN: Final = Role.CUSTODIAN
PUBLIC: Final = Role.PUBLIC
PARTNER: Final = Role.PARTNER
OFFICER: Final = Role.COMPLIANCE_OFFICER
REGISTRAR: Final = Role.REGISTRAR
VASP: Final = Role.VASP_OPERATOR
RESERVE: Final = Role.RESERVE_OFFICER
MERCHANT: Final = Role.MERCHANT
ROLES: Final = (CB, BANK, TREASURY, HOLDER, AUDITOR, ISSUER, CUSTODIAN, PARTNER, OFFICER, REGISTRAR, VASP, RESERVE,
                MERCHANT, PUBLIC)
EVERYONE: Final = frozenset(ROLES)

MATRIX: Final[dict[str, frozenset[Role]]] = {
    "ops.health": EVERYONE,  # liveness: the process answers
    "ops.ready": EVERYONE,  # readiness: the database and the ledger's writer (names only, no figures)
    "ops.metrics": frozenset({CB, AUDITOR}),  # the Prometheus exposition, with a scraper's token
    "console.sessions.list": frozenset({CB, AUDITOR}),  # who is signed in to the console (no session ids)
    "console.sessions.revoke": frozenset({CB}),  # end a subject's console sessions
    "tokens.revocations.list": frozenset({CB, AUDITOR}),  # revoked token ids and subjects' cut-offs
    # The central bank any token; a bank only its own bank's tokens of a subject (pinned to its bank).
    "tokens.revocations.create": frozenset({CB, BANK}),
    "participants.register": frozenset({CB}),
    "participants.list": frozenset({CB, BANK, AUDITOR}),
    "participants.read": frozenset({CB, BANK, AUDITOR}),
    "issuance.reserve_credit": frozenset({CB}),
    "issuance.issue": frozenset({CB, BANK}),
    "issuance.redeem": frozenset({CB, BANK}),
    "issuance.summary": frozenset({CB, AUDITOR}),
    "issuance.report": frozenset({CB, AUDITOR}),
    "public.aggregate": EVERYONE,
    "policy.read": EVERYONE,
    "wallets.open": frozenset({BANK}),
    "wallets.list": frozenset({CB, BANK, HOLDER}),
    "wallets.read": frozenset({CB, BANK, HOLDER}),
    "wallets.identity": frozenset({BANK}),
    "wallets.tier": frozenset({BANK}),
    "wallets.deposit_credit": frozenset({BANK}),
    "wallets.fund": frozenset({BANK, HOLDER}),
    "wallets.freeze": frozenset({CB, BANK}),
    "wallets.holds": frozenset({CB, BANK}),
    "wallets.close": frozenset({BANK}),
    "wallets.statement": frozenset({CB, BANK, HOLDER}),
    "wallets.payments": frozenset({CB, BANK, HOLDER}),
    "wallets.payment_requests": frozenset({CB, BANK, HOLDER}),
    "payments.create": frozenset({BANK, HOLDER}),
    "payments.qr": frozenset({BANK, HOLDER}),
    "payments.read": frozenset({CB, BANK, HOLDER}),
    "payments.refund": frozenset({BANK, HOLDER}),
    "requests.create": frozenset({BANK, HOLDER}),
    "requests.read": frozenset({CB, BANK, HOLDER}),
    "requests.answer": frozenset({BANK, HOLDER}),
    "qr.create": frozenset({BANK, HOLDER}),
    "qr.decode": frozenset({CB, BANK, HOLDER}),
    "qr.image": frozenset({BANK, HOLDER}),
    "aliases.register": frozenset({BANK}),  # its own customers only; personal data, the central bank none
    "aliases.remove": frozenset({BANK}),
    "aliases.read": frozenset({BANK}),
    "benefits.create": frozenset({TREASURY}),
    "benefits.read": frozenset({CB, BANK, TREASURY, HOLDER, AUDITOR}),
    "benefits.expire": frozenset({TREASURY}),
    "ledger.journal": frozenset({CB, AUDITOR}),
    "offline.devices.register": frozenset({BANK}),
    "offline.ca": EVERYONE,
    "offline.revocations": EVERYONE,
    "offline.fund": frozenset({BANK, HOLDER}),
    "offline.revoke": frozenset({BANK}),
    "offline.sync": EVERYONE,  # the device signs the request with its certified key
    "interbank.submit": frozenset({BANK}),  # for its own bank only: the debtor agent is checked
    "interbank.register": frozenset({CB}),
    "interbank.pledge": frozenset({CB}),
    "interbank.lsm": frozenset({CB}),
    "interbank.queue": frozenset({CB, AUDITOR}),  # every bank's queued payments (amounts, banks; no names)
    "interbank.eod": frozenset({CB}),
    "interbank.statements": frozenset({CB, BANK, AUDITOR}),  # a bank its own only
    "interbank.messages": frozenset({CB, BANK, AUDITOR}),  # a bank its own only
    "interbank.screening_stops": frozenset({CB, OFFICER, AUDITOR}),  # pacs.008s refused or held by screening
    "registry.read": EVERYONE,  # the State Register of Digital Assets is public
    # The register and VASP licensing (issue 17): registrars write, each change a signed event.
    "register.read": EVERYONE,  # the current view, the history and the whole log's export
    "register.apply": frozenset({REGISTRAR}),
    "register.status": frozenset({REGISTRAR}),
    "register.report": frozenset({REGISTRAR}),
    "vasps.list": EVERYONE,  # the public list of licences
    "vasps.licence": EVERYONE,
    "vasps.history": EVERYONE,
    "vasps.application.read": frozenset({REGISTRAR, VASP}),  # a VASP its own only
    "vasps.application.file": frozenset({REGISTRAR, VASP}),  # a VASP its own only
    "vasps.documents.upload": frozenset({REGISTRAR, VASP}),  # a VASP its own only
    "vasps.review.propose": frozenset({REGISTRAR}),
    "vasps.review.approve": frozenset({REGISTRAR}),  # never the proposer (four eyes)
    "vasps.suspend": frozenset({REGISTRAR}),
    "vasps.reinstate": frozenset({REGISTRAR}),
    "vasps.revoke": frozenset({REGISTRAR}),
    "stablecoin.reserve": EVERYONE,  # the KGST supply-versus-reserve report is published
    "disbursement.programmes.create": frozenset({TREASURY}),
    "disbursement.programmes.read": frozenset({TREASURY, AUDITOR}),
    "disbursement.runs.upload": frozenset({TREASURY}),
    "disbursement.runs.approve": frozenset({TREASURY}),  # never the run's uploader (dual control)
    "disbursement.runs.execute": frozenset({TREASURY}),
    "disbursement.runs.read": frozenset({TREASURY, AUDITOR}),
    "disbursement.runs.report": frozenset({TREASURY, AUDITOR}),  # names and PINs: not for banks
    "disbursement.runs.return": frozenset({BANK}),  # only a payment credited to its own float
    "disbursement.runs.repay": frozenset({TREASURY}),
    "taxes.pay": frozenset({BANK, HOLDER}),  # from a wallet the caller may operate
    "taxes.receipt": frozenset({TREASURY, BANK, HOLDER, AUDITOR}),  # banks and holders their wallets' only
    "public.spending": EVERYONE,  # aggregates only; small cells suppressed
    # USDKG: the issuer registers signers, sets prices and reports coverage; the custodian
    # moves bars (each movement also signed by it); the auditor imports and signs counts.
    "usdkg.signers.register": frozenset({ISSUER}),
    "usdkg.signers.list": EVERYONE,  # public keys: anyone may verify a movement, price or audit
    "usdkg.bars.list": frozenset({ISSUER, CUSTODIAN, AUDITOR}),
    "usdkg.bars.read": frozenset({ISSUER, CUSTODIAN, AUDITOR}),
    "usdkg.bars.import": frozenset({CUSTODIAN}),
    "usdkg.bars.weight_list": EVERYONE,  # the published bar list the lookup is recomputed from
    "usdkg.movements.create": frozenset({CUSTODIAN}),
    "usdkg.prices.upload": frozenset({ISSUER}),
    "usdkg.prices.history": EVERYONE,  # the published price the figure and the lookup use
    "usdkg.coverage.figure": EVERYONE,
    "usdkg.coverage.mint_check": frozenset({ISSUER}),
    "usdkg.coverage.publish": frozenset({ISSUER}),
    "usdkg.coverage.report": frozenset({ISSUER, AUDITOR}),
    "usdkg.audits.import": frozenset({AUDITOR}),
    "usdkg.audits.sign": frozenset({AUDITOR}),
    "usdkg.audits.resolve": frozenset({AUDITOR}),
    "usdkg.audits.read": EVERYONE,  # signed audits only; unsigned ones for the issuer and auditor
    "usdkg.mints.create": frozenset({ISSUER}),  # only within coverage (the floor, price, audits)
    "usdkg.redemptions.create": frozenset({ISSUER}),
    "usdkg.lookup": EVERYONE,
    "remittance.partners.onboard": frozenset({CB, BANK}),  # a bank for itself only
    "remittance.partners.list": frozenset({CB, BANK, PARTNER}),  # a bank its own partners, a partner itself
    "remittance.partners.read": frozenset({CB, BANK, PARTNER}),
    "remittance.partners.fund": frozenset({BANK}),  # from and to its own float
    "remittance.corridors.configure": frozenset({CB, BANK}),
    "remittance.corridors.read": frozenset({CB, BANK, PARTNER}),
    "remittance.quotes.create": frozenset({PARTNER}),
    "remittance.send": frozenset({PARTNER}),
    "remittance.pacs008": frozenset({PARTNER}),  # rail 3: its own transfers, as its partner id
    "remittance.returns": frozenset({PARTNER}),  # its own
    "remittance.read": frozenset({CB, BANK, PARTNER, OFFICER}),  # a partner its own, a bank its partners'
    "remittance.chain.link": frozenset({BANK}),  # rail 2: a sender's address to a wallet of its own bank
    # Rail 2's screened transfers (held: a review); a bank its own wallets' only, without
    # the screening's reason and the officer's name.
    "remittance.chain.inbound": frozenset({OFFICER, AUDITOR, BANK}),
    "compliance.screen": frozenset({BANK, OFFICER}),  # recorded with the caller's name
    "compliance.reviews.list": frozenset({OFFICER, AUDITOR}),
    "compliance.reviews.read": frozenset({OFFICER, AUDITOR}),
    "compliance.reviews.propose": frozenset({OFFICER}),  # the first of two officers
    "compliance.reviews.approve": frozenset({OFFICER}),  # approve or reject: never the proposer or opener (four eyes)
    "compliance.releases.run": frozenset({OFFICER}),  # retry what decided reviews release
    "compliance.lists": EVERYONE,  # which lists (versions, dates) are screened against, or that none is
    # VASP volume reports (issue 17): a VASP submits its own; every version and aggregate is public.
    "vasp_reports.submit": frozenset({VASP}),  # its own VASP only (the token's subject)
    "vasp_reports.read": EVERYONE,
    "vasp_reports.aggregates": EVERYONE,
    "vasp_reports.export": EVERYONE,
    "vasp_reports.status": frozenset({REGISTRAR, AUDITOR}),  # who has not reported, who was late
    "travelrule.inquiries.create": frozenset({PARTNER, VASP}),  # as the originator: its token's subject
    "travelrule.inquiries.confirm": frozenset({PARTNER, VASP}),  # its own inquiries only
    "travelrule.inquiries.read": frozenset({PARTNER, VASP, OFFICER, AUDITOR}),  # a sender its own; others 404
    # Merchant invoices (issue 18): a merchant its own (subject = merchant id), a bank its
    # wallets' merchants; the payer reads, scans and authorizes by the unguessable invoice id.
    "merchant_invoices.create": frozenset({MERCHANT}),
    "merchant_invoices.list": frozenset({MERCHANT, BANK}),
    "merchant_invoices.read": frozenset({MERCHANT, BANK}),
    "merchant_invoices.refund": frozenset({MERCHANT}),
    "merchant_invoices.pay": EVERYONE,
    "merchant_invoices.qr": EVERYONE,
    "merchant_invoices.authorize": EVERYONE,
    "por.roots.publish": frozenset({VASP, ISSUER}),  # a custodian its own roots only (subject = custodian id)
    "por.roots.list": EVERYONE,  # roots, reserves and the reserves check are public
    "por.roots.read": EVERYONE,
    "por.proofs.verify": EVERYONE,  # checked, never stored; no route serves a customer's proof
    "reserve.holdings.read": frozenset({RESERVE, AUDITOR}),
    "reserve.proposals.list": frozenset({RESERVE, AUDITOR}),
    "reserve.proposals.read": frozenset({RESERVE, AUDITOR}),
    "reserve.history.read": frozenset({RESERVE, AUDITOR}),  # refusals and expiries included
    "reserve.proposals.create": frozenset({RESERVE}),  # the proposer must be an officer of the policy too
    "reserve.approvals.create": frozenset({RESERVE}),  # the signature must be an officer's key
    "reserve.executions.create": frozenset({RESERVE}),
    "reserve.publications.list": EVERYONE,  # holdings with proof of control are public
    "reserve.publications.read": EVERYONE,
    "reserve.publications.create": frozenset({RESERVE}),  # re-checked at its block before it is kept
    "public.log.read": EVERYONE,  # the transparency log: signed heads, entries, proofs, anchors
    # The public portal (issue 19): pages anyone reads with no sign-in; the proof-of-reserves
    # check stores nothing.
    "portal.read": EVERYONE,
    "portal.por.check": EVERYONE,
}

_bearer: Final = HTTPBearer(auto_error=False, description="A JWT signed by the server (EdDSA)")


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; None for no header or
    another scheme (the caller is then anonymous), exactly as `HTTPBearer` reads it."""
    scheme, credentials = get_authorization_scheme_param(authorization)
    if not (authorization and scheme and credentials) or scheme.lower() != "bearer":
        return None
    return credentials


def authorize(verifier: TokenVerifier, token: str | None, roles: frozenset[Role]) -> Actor:
    """The caller `token` names (anonymous without one) if its role is in `roles`; else
    a problem: 401 without a valid token, 403 for a role not allowed."""
    if token is None:
        actor = Actor(PUBLIC, "anonymous")
    else:
        try:
            actor = verifier.actor(token)
        except TokenError as error:
            raise ApiProblem(401, "unauthorized", "No valid bearer token", str(error)) from None
    if actor.role not in roles:
        if actor.role is PUBLIC:
            raise ApiProblem(401, "unauthorized", "No valid bearer token", "this operation needs a token")
        raise ApiProblem(403, "forbidden", "Forbidden", "this role may not call this operation")
    return actor


class Authorize:
    """The dependency a route uses to name its operation: it authenticates the caller
    and refuses roles the matrix does not allow (401 without a token, else 403). The
    gate (`api.gate`) checks the same before the body is read; this check stays, so a
    route is guarded even where the gate is not."""

    def __init__(self, operation: str) -> None:
        self.operation = operation
        self.roles = MATRIX[operation]

    def __call__(
        self, request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
    ) -> Actor:
        """The authenticated actor, or a problem."""
        verifier: TokenVerifier = request.app.state.verifier
        return authorize(verifier, None if credentials is None else credentials.credentials, self.roles)


def route_authorize(route: APIRoute) -> Authorize | None:
    """The `Authorize` dependency of `route`, if it declares one."""
    return next((d.call for d in route.dependant.dependencies if isinstance(d.call, Authorize)), None)


def route_operations(routers: Sequence[APIRouter]) -> list[tuple[str, str, str]]:
    """(method, path, operation) of every secured route, in registration order."""
    found: list[tuple[str, str, str]] = []
    for route in (route for router in routers for route in router.routes if isinstance(route, APIRoute)):
        guard = route_authorize(route)
        if guard is not None:
            found.extend((method, route.path, guard.operation) for method in sorted(route.methods or ()))
    return found


def markdown_matrix(routers: Sequence[APIRouter]) -> str:
    """The permission matrix as a Markdown table (docs/security.md embeds it)."""
    lines = [
        "| method | path | " + " | ".join(r.value for r in ROLES) + " |",
        "|---|---|" + "---|" * len(ROLES),
    ]
    for method, path, operation in route_operations(routers):
        marks = " | ".join("yes" if role in MATRIX[operation] else "-" for role in ROLES)
        lines.append(f"| {method} | `{path}` | {marks} |")
    return "\n".join(lines) + "\n"
