"""The registrar's screen: the State Register of Digital Assets (entries and their status
changes) and VASP licence applications, reviewed with four eyes: one registrar proposes
to grant or refuse, a second (never the proposer) approves; licences are suspended,
reinstated or revoked with a reason.

The same services and MATRIX operations as the API's `/v1/register` and `/v1/vasps`
routes (`AssetRegister`, `Licensing`), with the API's request schemas (`StatusIn`,
`ProposalBody`, `ApprovalIn`, `ReasonIn`): the four-eyes rule is `Licensing.approve`'s,
so it holds here as there. The register is public (`register.read`); the list of
applications is shown to those who review them (`vasps.review.propose`); a VASP operator
reads its own application only (`vasps.application.read`), another's is as absent.
"""

from __future__ import annotations

from typing import Annotated, Final

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from digisom.console.access import allowed
from digisom.console.web import PREFIX, console_of, parsed, posted, render, see_other, viewer
from digisom.http.services import filled
from digisom.registry.assets import AssetRegister, AssetStatus
from digisom.registry.http import register_routes as reg
from digisom.registry.http import vasp_routes as api
from digisom.registry.http.slots import ASSET_REGISTER, LICENSING
from digisom.registry.licensing import Activity, Decision, Licensing, ProposalIn, VaspStatus

BASE: Final = PREFIX + "/registrar"
SymbolPath = Annotated[str, Path(pattern=r"^[A-Z0-9]{2,16}$")]
VaspPath = Annotated[str, Path(pattern=r"^vasp-[a-z0-9-]{2,59}$")]
# A licence's moves: form path segment -> (MATRIX operation, Licensing method).
MOVES: Final = {"suspension": ("vasps.suspend", "suspend"), "reinstatement": ("vasps.reinstate", "reinstate"),
                "revocation": ("vasps.revoke", "revoke")}
PENDING: Final = frozenset({VaspStatus.APPLIED, VaspStatus.PROPOSED})


def _register(request: Request) -> AssetRegister:
    return filled(console_of(request).api, ASSET_REGISTER)


def _licensing(request: Request) -> Licensing:
    return filled(console_of(request).api, LICENSING)


def router() -> APIRouter:
    """The register's and licensing's pages and forms."""
    r = APIRouter()

    @r.get(BASE)
    def overview(request: Request) -> Response:
        """The register's entries with their status forms; the applications to review; the licences."""
        who = viewer(request, "register.read")
        licensing = _licensing(request)
        pending = ([v for v in licensing.vasps() if v.status in PENDING]
                   if allowed(who.actor, "vasps.review.propose") else [])
        return render(request, "registrar/overview.html", who, entries=_register(request).entries(),
                      applications=pending, licences=licensing.licences(),
                      statuses=[s.value for s in AssetStatus if s is not AssetStatus.APPLIED])

    @r.post(BASE + "/assets/{symbol}/status")
    async def asset_status(request: Request, symbol: SymbolPath) -> Response:
        """Register, suspend or delist an entry with the reason (`register.status`)."""
        who, form = await posted(request, "register.status")
        body = parsed(reg.StatusIn, {"status": form.get("status"), "reason": form.get("reason")})
        await run_in_threadpool(_register(request).transition, symbol, AssetStatus(body.status), body.reason,
                                who.actor.principal)
        return see_other(BASE)

    @r.get(BASE + "/vasps/{vasp_id}")
    def vasp(request: Request, vasp_id: VaspPath) -> Response:
        """An application, its pending proposal and its licence, with the forms this registrar may use."""
        who = viewer(request, "vasps.application.read")
        api.own(who.actor, vasp_id)
        return render(request, "registrar/vasp.html", who, vasp=_licensing(request).vasp(vasp_id),
                      me=who.actor.principal, activities=[a.value for a in Activity],
                      decisions=[d.value for d in Decision])

    @r.post(BASE + "/vasps/{vasp_id}/proposal")
    async def propose(request: Request, vasp_id: VaspPath) -> Response:
        """Propose to grant (with the licence's terms) or refuse (`vasps.review.propose`)."""
        who, form = await posted(request, "vasps.review.propose")
        text = form.get("conditions")  # one condition a line
        conditions = [line.strip() for line in text.splitlines() if line.strip()] if isinstance(text, str) else []
        body = parsed(api.ProposalBody, {
            "decision": form.get("decision"), "licence_number": form.get("licence_number") or "",
            "activities": form.getlist("activities"), "conditions": conditions,
            "expires_on": form.get("expires_on") or None, "reason": form.get("reason")})
        proposal = ProposalIn(Decision(body.decision), body.licence_number,
                              frozenset(Activity(a) for a in body.activities), tuple(body.conditions),
                              body.expires_on, body.reason)
        await run_in_threadpool(_licensing(request).propose, vasp_id, proposal, who.actor.principal)
        return see_other(f"{BASE}/vasps/{vasp_id}")

    @r.post(BASE + "/vasps/{vasp_id}/approval")
    async def approve(request: Request, vasp_id: VaspPath) -> Response:
        """Approve the pending proposal (`vasps.review.approve`): never its proposer (four eyes)."""
        who, form = await posted(request, "vasps.review.approve")
        body = parsed(api.ApprovalIn, {"proposal_seq": form.get("proposal_seq")})
        await run_in_threadpool(_licensing(request).approve, vasp_id, body.proposal_seq, who.actor.principal)
        return see_other(f"{BASE}/vasps/{vasp_id}")

    def moving(segment: str, operation: str, method: str) -> None:
        # Suspend, reinstate and revoke differ only in the operation and the method, as in the API.
        @r.post(f"{BASE}/vasps/{{vasp_id}}/{segment}", name=f"console-vasp-{segment}")
        async def move(request: Request, vasp_id: VaspPath) -> Response:
            who, form = await posted(request, operation)
            body = parsed(api.ReasonIn, {"reason": form.get("reason")})
            await run_in_threadpool(getattr(_licensing(request), method), vasp_id, body.reason, who.actor.principal)
            return see_other(f"{BASE}/vasps/{vasp_id}")

    for segment, (operation, method) in MOVES.items():
        moving(segment, operation, method)
    return r
