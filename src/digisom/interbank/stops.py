"""The RTGS's records of pacs.008s that screening stopped (`interbank_screening_stops`)."""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from sqlalchemy import Connection, Row, select, update

from digisom.interbank import tables as t
from digisom.interbank.records import ScreeningStop, StopStatus

STOP_PAGE_MAX: Final = 200


def _stop(row: Row[Any]) -> ScreeningStop:
    return ScreeningStop(
        row.seq, row.bank_code, row.message_id, row.end_to_end_id, date.fromisoformat(row.settlement_date),
        row.amount_tyiyn, row.debtor_name, row.creditor_name, row.debtor_decision, row.debtor_reason,
        row.creditor_decision, row.creditor_reason, StopStatus(row.status), row.officer, row.payment_seq,
        row.xml.encode("utf-8"))


def insert(conn: Connection, stop: ScreeningStop, message_type: str, created_at: str) -> int:
    """Record a stop; returns its seq."""
    result = conn.execute(t.screening_stops.insert().values(
        bank_code=stop.bank_code, message_id=stop.message_id, message_type=message_type,
        end_to_end_id=stop.end_to_end_id, settlement_date=stop.settlement_date.isoformat(),
        amount_tyiyn=stop.amount_tyiyn, debtor_name=stop.debtor_name, creditor_name=stop.creditor_name,
        debtor_decision=stop.debtor_decision, debtor_reason=stop.debtor_reason[:t.SCREENING_REASON_CHARS],
        creditor_decision=stop.creditor_decision, creditor_reason=stop.creditor_reason[:t.SCREENING_REASON_CHARS],
        status=stop.status.value, created_at=created_at, xml=stop.xml.decode("utf-8")))
    key = result.inserted_primary_key
    return int(key[0]) if key else 0


def get(conn: Connection, seq: int) -> ScreeningStop | None:
    """One stop by seq."""
    row = conn.execute(select(t.screening_stops).where(t.screening_stops.c.seq == seq)).first()
    return _stop(row) if row else None


def held_for(conn: Connection, bank_code: str, message_id: str, end_to_end_id: str,
             settlement_date: date) -> ScreeningStop | None:
    """The held stop of this message, or of another with its end-to-end id the same day."""
    c = t.screening_stops.c
    row = conn.execute(select(t.screening_stops).where(
        c.bank_code == bank_code, c.status == StopStatus.HELD.value,
        (c.message_id == message_id) | ((c.end_to_end_id == end_to_end_id)
                                        & (c.settlement_date == settlement_date.isoformat())))).first()
    return _stop(row) if row else None


def decide(conn: Connection, seq: int, status: StopStatus, officer: str, decided_at: str,
           payment_seq: int | None) -> bool:
    """End a hold (only if still held: a guarded update); False if it was not held."""
    c = t.screening_stops.c
    done = conn.execute(update(t.screening_stops).where(c.seq == seq, c.status == StopStatus.HELD.value).values(
        status=status.value, officer=officer, decided_at=decided_at, payment_seq=payment_seq))
    return done.rowcount == 1


def page(conn: Connection, status: StopStatus | None, after_seq: int, limit: int) -> list[ScreeningStop]:
    """Stops after `after_seq` (of `status`, if given), oldest first."""
    c = t.screening_stops.c
    query = select(t.screening_stops).where(c.seq > after_seq)
    if status is not None:
        query = query.where(c.status == status.value)
    return [_stop(r) for r in conn.execute(query.order_by(c.seq).limit(min(limit, STOP_PAGE_MAX)))]
