"""/v1/remittances/chain: rail 2 (KGST on-chain) as an operator runs it (docs/remittance.md,
"Rail 2"). A bank links a sender's address to one of its own wallets (the sender abroad,
or the exchange that sold him the tokens, then sends KGST to the redemption address);
compliance officers and auditors read what arrived and what became of it, and a bank
what arrived for its own wallets (without the screening's reason and the officer). A held
transfer is decided by two officers on its compliance review (`/v1/compliance/reviews`,
context `remittance_chain`), never here: there is one review queue.

Kept apart from `routes` (as rail 3 is); `routes.router` mounts it.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from digisom.http import fields
from digisom.http.idempotency import IdempotencyKey, idempotent
from digisom.http.pagination import PAGE_LIMIT_DEFAULT, Cursor, Limit, decode_cursor, encode_cursor
from digisom.http.permissions import Authorize
from digisom.http.render import READ_PROBLEMS, WRITE_PROBLEMS, json
from digisom.kernel.access import Actor, Role
from digisom.remittance.errors import WalletNotFound
from digisom.remittance.http.slots import ChainInbound, chain
from digisom.remittance.onchain import Inbound, InboundStatus

EvmAddress = Annotated[str, Field(pattern=r"^0x[0-9a-fA-F]{40}$", examples=["0x" + "ab" * 20])]
# Reads of one bank's page before it is answered short (see `_page`).
SCAN_READS_MAX: Final = 10
StatusName = Literal["passed", "stopped", "held", "cleared", "released", "blocked"]


class LinkIn(BaseModel):
    """Let `address` send remittances into `wallet_id` (a wallet of the caller's bank)."""

    wallet_id: fields.WalletId
    address: EvmAddress


class LinkOut(BaseModel):
    """The link as kept (the address checksummed)."""

    wallet_id: str
    address: str


class InboundOut(BaseModel):
    """A transfer to the redemption address: the screening's decision and reason (its
    compliance screening first) and where it is (`held` waits for two officers). A bank
    gets `reason` and `officer` as null: they are the compliance desk's."""

    inbound_id: str
    token: str
    tx_hash: str
    log_index: int
    block_number: int
    sender: str
    wallet_id: str
    amount_token_units: str
    decision: str
    reason: str | None
    status: str
    officer: str | None


class InboundPage(BaseModel):
    """Inbound transfers in chain order; `next_cursor` asks for the next page (null: none).
    A bank's page may hold fewer than `limit` items and still have a next one: follow
    `next_cursor` until it is null."""

    items: list[InboundOut]
    next_cursor: str | None


def _inbound_out(i: Inbound, *, for_bank: bool) -> InboundOut:
    return InboundOut(inbound_id=i.inbound_id, token=i.token, tx_hash=i.tx_hash, log_index=i.log_index,
                      block_number=i.block_number, sender=i.sender, wallet_id=i.wallet_id,
                      amount_token_units=str(i.amount_token_units), decision=i.decision.value,
                      reason=None if for_bank else i.reason, status=i.status.value,
                      officer=None if for_bank else i.officer)


def add(r: APIRouter) -> None:
    """Mount rail 2's routes on the remittance router."""

    @r.post("/chain/links", status_code=201, response_model=LinkOut, responses=WRITE_PROBLEMS)
    def link(request: Request, body: LinkIn, key: IdempotencyKey,
             actor: Annotated[Actor, Depends(Authorize("remittance.chain.link"))]) -> Response:
        """Link a sender's address to a wallet of the caller's bank: KGST it sends to the
        redemption address is screened, then redeemed into the wallet (the bridge's link and
        rail 2's, both kept). An address links to one wallet only."""
        def produce() -> Response:
            rail = chain(request)
            if rail.wallet_bank(body.wallet_id) != actor.bank_code:
                raise WalletNotFound(f"no wallet {body.wallet_id}")
            return json(LinkOut(wallet_id=body.wallet_id, address=rail.link(body.wallet_id, body.address)), 201)
        return idempotent(request, actor, key, body, produce)

    @r.get("/chain/inbound", response_model=InboundPage, responses=READ_PROBLEMS)
    def inbound(request: Request, actor: Annotated[Actor, Depends(Authorize("remittance.chain.inbound"))],
                status: Annotated[StatusName | None, Query(description="Only this status.")] = None,
                cursor: Cursor = None, limit: Limit = PAGE_LIMIT_DEFAULT) -> JSONResponse:
        """What arrived at the redemption address on rail 2 and what became of it, a page at
        a time in chain order (a bank: only what arrived for its own wallets)."""
        for_bank = actor.role is Role.BANK_OPERATOR
        found, next_after = _page(chain(request), None if status is None else InboundStatus(status),
                                  None if cursor is None else decode_cursor(cursor), limit,
                                  actor.bank_code if for_bank else None)
        return json(InboundPage(items=[_inbound_out(i, for_bank=for_bank) for i in found],
                                next_cursor=encode_cursor(next_after)))


def _page(rail: ChainInbound, status: InboundStatus | None, after: int | None, limit: int,
          bank_code: str | None) -> tuple[list[Inbound], int | None]:
    """Up to `limit` transfers after position `after` (with `bank_code`, only those into
    that bank's wallets) and the position the next page starts after (None: no more).
    A bank's page reads at most `SCAN_READS_MAX` chunks, so that a bank with few transfers
    among many costs a bounded read per request; its page may then be short."""
    found: list[Inbound] = []
    for _ in range(SCAN_READS_MAX):
        # Never more than the page still needs: every kept row fits, and the next page
        # starts after the last row read.
        wanted = limit - len(found)
        chunk = rail.inbounds(status, after, wanted)
        if not chunk:
            return found, None
        after = chunk[-1].position
        if bank_code is not None:
            banks = rail.wallet_banks({i.wallet_id for i in chunk if i.wallet_id})
            found.extend(i for i in chunk if i.wallet_id and banks.get(i.wallet_id) == bank_code)
        else:
            found.extend(chunk)
        if len(chunk) < wanted:  # the table ended: no next page, and no read to learn it
            return found, None
        if len(found) == limit:
            break
    return found, after
