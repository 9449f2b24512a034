"""Read-only views the API needs beyond the service: partners by bank, a partner's
corridors and remittances by state, and the screening decisions taken on remittances.
Kept apart from `service` (which writes) so the routes can list without touching it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Engine, select

from digisom.remittance import repository, tables
from digisom.remittance.model import Corridor, Partner, Remittance, Status

PAGE_MAX: Final = 500


@dataclass(frozen=True, slots=True)
class PartyScreening:
    """One screening decision taken on a remittance's party."""

    remittance_id: str
    party: str
    decision: str
    reason: str


class RemittanceReads:
    """Lists over the remittance tables on `engine`'s database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def partners(self, bank_code: str | None = None) -> list[Partner]:
        """Every partner, or those `bank_code` onboarded, by id."""
        c = tables.partners.c
        query = select(c.partner_id).order_by(c.partner_id).limit(PAGE_MAX)
        if bank_code is not None:
            query = query.where(c.bank_code == bank_code)
        with self._engine.connect() as conn:
            ids = list(conn.execute(query).scalars())
            found = [repository.partner(conn, pid) for pid in ids]
        return [p for p in found if p is not None]

    def corridors(self, partner_id: str) -> list[Corridor]:
        """The partner's corridors, by currency."""
        c = tables.corridors.c
        with self._engine.connect() as conn:
            ids = list(conn.execute(select(c.corridor_id).where(c.partner_id == partner_id).order_by(c.currency))
                       .scalars())
            found = repository.corridors_by_id(conn, ids)
        return [found[i] for i in ids]

    def remittances(self, partner_id: str, status: Status, limit: int = PAGE_MAX) -> list[Remittance]:
        """The partner's remittances in `status`, newest first."""
        c = tables.remittances.c
        query = (select(c.remittance_id).where(c.partner_id == partner_id, c.status == status.value)
                 .order_by(c.created_at.desc(), c.remittance_id).limit(min(max(limit, 1), PAGE_MAX)))
        with self._engine.connect() as conn:
            ids = list(conn.execute(query).scalars())
            found = repository.remittances(conn, ids)
        return [found[i][0] for i in ids]

    def screenings(self, remittance_ids: Sequence[str]) -> list[PartyScreening]:
        """The screening decisions of these remittances."""
        c = tables.screenings.c
        with self._engine.connect() as conn:
            rows = conn.execute(select(c.remittance_id, c.party, c.decision, c.reason)
                                .where(c.remittance_id.in_(sorted(set(remittance_ids))))
                                .order_by(c.remittance_id, c.party))
            return [PartyScreening(*row) for row in rows]

    def remittance(self, remittance_id: str) -> Remittance | None:
        """One remittance, whoever's it is (the caller checks scope)."""
        with self._engine.connect() as conn:
            found = repository.remittances(conn, [remittance_id]).get(remittance_id)
        return found[0] if found else None
