"""/v1/reserve: officers propose, approve (an EIP-712 signature each) and execute movements;
auditors read everything; anyone reads publications. Every POST takes an Idempotency-Key;
a proposal's id is derived from the caller and the key, so a retried proposal is the same."""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from digisom.http.idempotency import IdempotencyKey, idempotent
from digisom.http.pagination import PAGE_LIMIT_DEFAULT, Cursor, Limit, decode_cursor, keyset_cursor, offset_cursor
from digisom.http.permissions import Authorize
from digisom.http.problems import ApiProblem
from digisom.http.render import READ_PROBLEMS, WRITE_PROBLEMS, json
from digisom.http.services import provided
from digisom.kernel.access import Actor
from digisom.reserve import errors, proposals
from digisom.reserve.bitcoin_balances import SATS_DECIMALS
from digisom.reserve.books import Books
from digisom.reserve.http.slots import (
    RESERVE_BITCOIN,
    RESERVE_BOOKS,
    RESERVE_CUSTODY,
    RESERVE_DB,
    RESERVE_NOW_S,
    RESERVE_POLICY,
    RESERVE_PRICES,
    RESERVE_READER,
)
from digisom.reserve.policy import Policy
from digisom.reserve.valuation import Valued, total_tyiyn, value

ProposalPath = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="A proposal's id.")]
PublicationPath = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="A publication's holdings root.")]
UNITS_PATTERN: Final = r"^[1-9][0-9]{0,77}$"
PUBLICATION_LINES_MAX: Final = 1000


class ProposeIn(BaseModel):
    asset: str = Field(pattern=r"^[A-Z0-9]{1,16}$")
    destination: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    amount_units: str = Field(pattern=UNITS_PATTERN, description="In the asset's smallest unit (wei, token units).")


class ApproveIn(BaseModel):
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$",
                           description="65-byte EIP-712 signature of the proposal's `transaction` typed data.")


class Document(BaseModel):
    """A JSON document as the domain renders it."""

    model_config = {"extra": "allow"}


class Page(BaseModel):
    """A page of a list; `next_cursor` is null on the last (docs/api.md)."""

    items: list[dict[str, Any]]
    next_cursor: str | None


class HoldingsOut(BaseModel):
    items: list[dict[str, Any]]
    total_value_tyiyn: str | None = Field(description="The som value of every line, in tyiyn; null when any "
                                                      "line has no trusted price or balance.")


class PublicationIn(BaseModel):
    """A publication built and signed by `digisom reserve publish` (docs/reserve.md)."""

    model_config = {"extra": "forbid"}
    title: str = Field(max_length=64)
    date: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    chain_id: int = Field(ge=1)
    block: int = Field(ge=0)
    root: str = Field(pattern=r"^[0-9a-f]{64}$")
    holdings: list[dict[str, Any]] = Field(max_length=PUBLICATION_LINES_MAX)
    wallets: list[dict[str, Any]] = Field(max_length=PUBLICATION_LINES_MAX)
    proofs: list[dict[str, Any]] = Field(max_length=PUBLICATION_LINES_MAX)


def _problem(error: errors.ReserveError) -> ApiProblem:
    if isinstance(error, errors.ProposalUnknown):
        return ApiProblem(404, "not-found", "Not found", str(error))
    if isinstance(error, errors.NotAnOfficer):
        return ApiProblem(403, "reserve-not-an-officer", "Not an officer of the reserve policy", str(error))
    if isinstance(error, errors.DuplicateApproval | errors.ProposalNotOpen):
        return ApiProblem(409, "reserve-proposal-conflict", "The proposal cannot take this", str(error))
    slug = {errors.DestinationNotAllowed: "reserve-destination-not-allowed",
            errors.TimeLocked: "reserve-time-locked",
            errors.NotEnoughApprovals: "reserve-not-enough-approvals",
            errors.MultisigRefused: "reserve-refused-on-chain",
            errors.SignatureInvalid: "reserve-signature-invalid",
            errors.PublicationInvalid: "reserve-publication-invalid",
            errors.BlockUnavailable: "reserve-block-unavailable"}.get(type(error), "reserve-refused")
    return ApiProblem(422, slug, "Refused by the reserve policy", str(error))


def _configured(request: Request) -> Policy:
    policy = provided(request, RESERVE_POLICY)
    if policy is None or provided(request, RESERVE_CUSTODY) is None:
        raise ApiProblem(503, "reserve-not-configured", "No reserve is configured", "this server has no reserve policy")
    return policy


def router() -> APIRouter:
    r = APIRouter(prefix="/v1/reserve", tags=["national crypto reserve"])

    @r.get("/holdings", response_model=HoldingsOut, responses=READ_PROBLEMS)
    def holdings(request: Request, _actor: Annotated[Actor, Depends(Authorize("reserve.holdings.read"))]) -> Response:
        """The reserve's books per asset at its wallet (posted, i.e. confirmed, and pending units) and at
        each watched Bitcoin address (its last observed confirmed satoshis; `source_units` is what the
        balance source reads now), each valued in som at the signed price; a stale or unsigned price is
        flagged (`price_refused`) and never used."""
        policy, books = provided(request, RESERVE_POLICY), provided(request, RESERVE_BOOKS)
        if policy is None or books is None:
            return json(HoldingsOut(items=[], total_value_tyiyn=None))
        prices = provided(request, RESERVE_PRICES)
        items, valued = [], []
        for asset in policy.assets.values():
            h = books.holding(asset.symbol, policy.chain_id, policy.wallet)
            line = value(prices, asset.symbol, h.posted_units, asset.decimals)
            valued.append(line)
            items.append({"asset": h.asset, "address": h.address, "custody": "multisig",
                          "posted_units": str(h.posted_units), "pending_in_units": str(h.pending_in_units),
                          "pending_out_units": str(h.pending_out_units), **line.as_json()})
        for watched in policy.bitcoin:
            item, line = _bitcoin_line(request, books, watched.address, watched.descriptor)
            valued.append(line)
            items.append(item | line.as_json())
        total = total_tyiyn(valued)
        return json(HoldingsOut(items=items, total_value_tyiyn=None if total is None else str(total)))

    @r.get("/proposals", response_model=Page, responses=READ_PROBLEMS)
    def listed(request: Request, _actor: Annotated[Actor, Depends(Authorize("reserve.proposals.list"))],
               state: Annotated[str | None, Query(pattern=r"^(open|queued|executed|refused|expired)$")] = None,
               cursor: Cursor = None, limit: Limit = PAGE_LIMIT_DEFAULT) -> Response:
        """Proposals, newest first, a page at a time (one made while you page repeats one)."""
        offset = decode_cursor(cursor)
        found = proposals.listed(provided(request, RESERVE_DB), state, offset, limit)
        return json(Page(items=[p.as_json() for p in found], next_cursor=offset_cursor(offset, limit, found)))

    @r.get("/proposals/{proposal_id}", response_model=Document, responses=READ_PROBLEMS)
    def read(request: Request, proposal_id: ProposalPath,
             _actor: Annotated[Actor, Depends(Authorize("reserve.proposals.read"))]) -> Response:
        """One proposal, with the typed data officers sign and the approvals so far."""
        try:
            return JSONResponse(proposals.read(provided(request, RESERVE_DB), proposal_id).as_json())
        except errors.ReserveError as error:
            raise _problem(error) from None

    @r.get("/history", response_model=Page, responses=READ_PROBLEMS)
    def history(request: Request, _actor: Annotated[Actor, Depends(Authorize("reserve.history.read"))],
                cursor: Cursor = None, limit: Limit = PAGE_LIMIT_DEFAULT) -> Response:
        """Everything that happened to proposals, oldest first, a page at a time: refusals
        and expiries included."""
        found = proposals.history(provided(request, RESERVE_DB), after_seq=decode_cursor(cursor), limit=limit)
        return json(Page(items=found, next_cursor=keyset_cursor(found, limit, lambda row: int(row["seq"]))))

    @r.post("/proposals", status_code=201, response_model=Document, responses=WRITE_PROBLEMS)
    def propose(request: Request, body: ProposeIn, key: IdempotencyKey,
                actor: Annotated[Actor, Depends(Authorize("reserve.proposals.create"))]) -> Response:
        """Propose a movement (the caller must be an officer of the policy)."""
        policy = _configured(request)
        proposal_id = hashlib.sha256(f"{actor.principal}\x1f{key}".encode()).hexdigest()[:32]

        def produce() -> Response:
            try:
                made = proposals.propose(provided(request, RESERVE_DB), policy, _custody(request), proposal_id,
                                         actor.subject, body.asset, body.destination, int(body.amount_units),
                                         provided(request, RESERVE_NOW_S)())
            except errors.ReserveError as error:
                raise _problem(error) from None
            return JSONResponse(made.as_json(), 201)
        return idempotent(request, actor, key, body, produce)

    @r.post("/proposals/{proposal_id}/approvals", status_code=201, response_model=Document, responses=WRITE_PROBLEMS)
    def approve(request: Request, proposal_id: ProposalPath, body: ApproveIn, key: IdempotencyKey,
                actor: Annotated[Actor, Depends(Authorize("reserve.approvals.create"))]) -> Response:
        """Add an officer's EIP-712 signature; verified before it is stored."""
        policy = _configured(request)

        def produce() -> Response:
            try:
                made = proposals.approve(provided(request, RESERVE_DB), policy, proposal_id,
                                         bytes.fromhex(body.signature[2:]), actor.subject,
                                         provided(request, RESERVE_NOW_S)())
            except errors.ReserveError as error:
                raise _problem(error) from None
            return JSONResponse(made.as_json(), 201)
        return idempotent(request, actor, key, body, produce)

    @r.post("/proposals/{proposal_id}/executions", status_code=201, response_model=Document,
            responses=WRITE_PROBLEMS)
    def execute(request: Request, proposal_id: ProposalPath, key: IdempotencyKey,
                actor: Annotated[Actor, Depends(Authorize("reserve.executions.create"))]) -> Response:
        """Execute on chain (a time-locked movement is queued first, then executed after the lock)."""
        policy = _configured(request)

        def produce() -> Response:
            try:
                made = proposals.execute(provided(request, RESERVE_DB), policy, _custody(request), proposal_id,
                                         actor.subject, provided(request, RESERVE_NOW_S)())
            except errors.ReserveError as error:
                raise _problem(error) from None
            return JSONResponse(made.as_json(), 201)
        return idempotent(request, actor, key, None, produce)

    @r.get("/publications", response_model=Page, responses=READ_PROBLEMS)
    def publications(request: Request,
                     _actor: Annotated[Actor, Depends(Authorize("reserve.publications.list"))],
                     cursor: Cursor = None, limit: Limit = PAGE_LIMIT_DEFAULT) -> Response:
        """Published holdings with proof of control, newest first, a page at a time."""
        from digisom.reserve import publication  # noqa: PLC0415 - keeps the route table import light

        offset = decode_cursor(cursor)
        found = publication.listed(provided(request, RESERVE_DB), offset, limit)
        return json(Page(items=found, next_cursor=offset_cursor(offset, limit, found)))

    @r.get("/publications/{publication_id}", response_model=Document, responses=READ_PROBLEMS)
    def one_publication(request: Request, publication_id: PublicationPath,
                        _actor: Annotated[Actor, Depends(Authorize("reserve.publications.read"))]) -> Response:
        """One publication, as published (re-check it with `digisom reserve verify`)."""
        from digisom.reserve import publication  # noqa: PLC0415 - as above

        found = publication.one(provided(request, RESERVE_DB), publication_id)
        if found is None:
            raise ApiProblem(404, "not-found", "Not found", f"no publication with root {publication_id}")
        return JSONResponse(found)

    @r.post("/publications", status_code=201, response_model=Document, responses=WRITE_PROBLEMS)
    def publish(request: Request, body: PublicationIn, key: IdempotencyKey,
                actor: Annotated[Actor, Depends(Authorize("reserve.publications.create"))]) -> Response:
        """Publish signed holdings: re-checked at their block (balances, owners, threshold, every
        signature) before they are kept; a failing one is refused naming each failure."""
        from digisom.reserve import publication  # noqa: PLC0415 - as above

        reader = provided(request, RESERVE_READER)
        if reader is None:
            raise ApiProblem(503, "reserve-not-configured", "No reserve chain is configured",
                             "this server cannot re-check a publication")
        document = body.model_dump()

        def produce() -> Response:
            try:
                failures = publication.verify(document, reader, provided(request, RESERVE_BITCOIN))
                if failures:
                    raise ApiProblem(422, "reserve-publication-invalid", "The publication does not hold",
                                     "; ".join(failures), failures=failures)
                publication.store(provided(request, RESERVE_DB), document, actor.subject,
                                  provided(request, RESERVE_NOW_S)())
            except errors.PublicationExists as error:
                raise ApiProblem(409, "reserve-publication-exists", "Already published", str(error)) from None
            except errors.ReserveError as error:
                raise _problem(error) from None
            return JSONResponse(document, 201)
        return idempotent(request, actor, key, body, produce)

    return r


def _bitcoin_line(request: Request, books: Books, address: str, descriptor: str) -> tuple[dict[str, Any], Valued]:
    """A watched Bitcoin address: the satoshis its books hold (the observer's last confirmed
    observation), valued like the rest, and what the balance source reads now beside them."""
    item: dict[str, Any] = {"asset": "BTC", "address": address, "custody": "watch-only",
                            "descriptor": descriptor, "control_proven": False}
    posted = books.bitcoin_holding(address)
    source = provided(request, RESERVE_BITCOIN)
    try:
        if source is None:
            raise errors.BitcoinUnavailable("no Bitcoin balance source is configured")
        found = source.balance(address)
        item |= {"source_units": str(found.confirmed_sats), "at_height": found.height}
    except errors.BitcoinUnavailable as error:
        item |= {"source_units": None, "balance_refused": str(error)}
    if posted is None:  # never observed: unknown, not zero
        item |= {"posted_units": None, "books_refused": "not observed yet"}
        return item, Valued("BTC", 0, SATS_DECIMALS, None, None, None, "balance-unknown", None)
    item["posted_units"] = str(posted)
    return item, value(provided(request, RESERVE_PRICES), "BTC", posted, SATS_DECIMALS)


def _custody(request: Request) -> Any:
    return provided(request, RESERVE_CUSTODY)
