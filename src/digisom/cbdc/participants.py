"""Participants: the central bank registers banks, payment providers and public bodies.

A bank or payment provider gets its ledger accounts on registration: a reserve
(settlement) account at the central bank, a digital-som float, and the funding side
of its customers' linked deposits.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from digisom.cbdc import accounts, repository
from digisom.cbdc.context import Context
from digisom.cbdc.errors import Conflict, InvalidRequest, NotFound
from digisom.cbdc.model import BANK_KINDS, Page, Participant, ParticipantKind, page_of
from digisom.kernel.db_errors import reraise_unless_unique


def bootstrap(ctx: Context) -> None:
    """Create the central bank's own ledger accounts (idempotent; run at start-up)."""
    ctx.ledger.ensure_accounts(accounts.central_accounts())


def register(ctx: Context, participant_id: str, kind: ParticipantKind, name: str, bank_code: str | None) -> Participant:
    """Register a participant. The same registration again returns it; another one
    under a taken id or bank code is a `Conflict`."""
    if (kind in BANK_KINDS) != (bank_code is not None):
        raise InvalidRequest("banks and payment providers need a bank code; other participants have none")
    participant = Participant(participant_id, kind, name, bank_code, ctx.now_iso())
    if bank_code is not None:
        # Accounts first: created idempotently, harmless if the insert below loses a race.
        ctx.ledger.ensure_accounts(accounts.bank_accounts(bank_code))
    try:
        with ctx.engine.begin() as conn:
            repository.insert_participant(conn, participant)
    except IntegrityError as error:
        reraise_unless_unique(error)
        with ctx.engine.connect() as conn:
            existing = repository.get_participant(conn, participant_id)
        if existing and (existing.kind, existing.name, existing.bank_code) == (kind, name, bank_code):
            return existing
        raise Conflict("a participant with this id or bank code exists already") from None
    return participant


def get(ctx: Context, participant_id: str) -> Participant:
    """The participant, or `NotFound`."""
    with ctx.engine.connect() as conn:
        found = repository.get_participant(conn, participant_id)
    if found is None:
        raise NotFound(f"no participant {participant_id!r}")
    return found


def page(ctx: Context, after_seq: int, limit: int) -> Page[Participant]:
    """A page of participants in registration order."""
    with ctx.engine.connect() as conn:
        rows = repository.list_participants(conn, after_seq, limit)
    return page_of(rows, limit)


def require_bank(ctx: Context, bank_code: str) -> Participant:
    """The bank or payment provider with `bank_code`, or `NotFound`."""
    with ctx.engine.connect() as conn:
        found = repository.participant_by_bank(conn, bank_code)
    if found is None:
        raise NotFound(f"no bank with code {bank_code!r}")
    return found
