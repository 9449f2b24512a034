"""The exchange's reads and writes on its tables."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, insert, select, update

from digisom.kernel.clock import iso_utc
from digisom.travelrule import tables
from digisom.travelrule.model import Inquiry, Party, PartyScreening, Status


def inquiry(conn: Connection, inquiry_id: str) -> Inquiry | None:
    """The inquiry with its screenings, or None."""
    row = conn.execute(select(tables.inquiries).where(tables.inquiries.c.inquiry_id == inquiry_id)).mappings().first()
    if row is None:
        return None
    s = tables.screenings.c
    found = conn.execute(select(s.party, s.subject, s.decision, s.reason).where(s.inquiry_id == inquiry_id)
                         .order_by(s.party)).all()
    return _inquiry(row, tuple(PartyScreening(*r) for r in found))


def insert_inquiry(conn: Connection, found: Inquiry, body_sha256: str, now: datetime) -> None:
    """Store a new inquiry and its screenings (one transaction: the caller's)."""
    conn.execute(insert(tables.inquiries).values(
        inquiry_id=found.inquiry_id, party_role=found.party.role, party_id=found.party.party_id,
        request_id=found.request_id, body_sha256=body_sha256, asset=found.asset, amount_minor=found.amount_minor,
        beneficiary_wallet_id=found.beneficiary_wallet_id, beneficiary_address=found.beneficiary_address,
        originator_address=found.originator_address, usd_equivalent_cents=found.usd_equivalent_cents,
        threshold_usd_cents=found.threshold_usd_cents, payload=found.payload, payload_sha256=found.payload_sha256,
        status=found.status.value, reason=found.reason, tx_reference=found.tx_reference,
        callback_url=found.callback_url, decided_by=found.decided_by, created_at=iso_utc(now),
        updated_at=iso_utc(now)))
    if found.screenings:
        conn.execute(insert(tables.screenings), [
            {"inquiry_id": found.inquiry_id, "party": s.party, "subject": s.subject[:tables.SUBJECT_CHARS_MAX],
             "decision": s.decision, "reason": s.reason[:tables.REASON_CHARS_MAX]} for s in found.screenings])


def body_sha256(conn: Connection, inquiry_id: str) -> str | None:
    """The digest of the body an inquiry was first sent with."""
    return conn.execute(select(tables.inquiries.c.body_sha256)
                        .where(tables.inquiries.c.inquiry_id == inquiry_id)).scalar_one_or_none()


def move(conn: Connection, inquiry_id: str, from_status: Status, now: datetime, **values: Any) -> bool:
    """Set `values` if the inquiry is still in `from_status` (a guarded update: of two
    writers, one wins); False if it was not."""
    changed = conn.execute(update(tables.inquiries)
                           .where(tables.inquiries.c.inquiry_id == inquiry_id,
                                  tables.inquiries.c.status == from_status.value)
                           .values(updated_at=iso_utc(now), **values)).rowcount
    return bool(changed == 1)


def held(conn: Connection, limit: int) -> list[tuple[str, Sequence[str]]]:
    """Inquiries pending review, oldest first, each with the reasons of its `review` screenings."""
    i, s = tables.inquiries.c, tables.screenings.c
    ids = conn.execute(select(i.inquiry_id).where(i.status == Status.PENDING_REVIEW.value)
                       .order_by(i.created_at, i.inquiry_id).limit(limit)).scalars().all()
    reasons: dict[str, list[str]] = {inquiry_id: [] for inquiry_id in ids}
    if ids:
        for inquiry_id, reason in conn.execute(select(s.inquiry_id, s.reason)
                                               .where(s.inquiry_id.in_(ids), s.decision == "review")):
            reasons[inquiry_id].append(reason)
    return list(reasons.items())


def _inquiry(row: RowMapping, screenings: tuple[PartyScreening, ...]) -> Inquiry:
    return Inquiry(row["inquiry_id"], Party(row["party_role"], row["party_id"]), row["request_id"], row["asset"],
                   int(row["amount_minor"]), row["beneficiary_wallet_id"], row["beneficiary_address"],
                   row["originator_address"], int(row["usd_equivalent_cents"]), int(row["threshold_usd_cents"]),
                   row["payload"], row["payload_sha256"], Status(row["status"]), row["reason"], row["tx_reference"],
                   row["callback_url"], row["decided_by"], datetime.fromisoformat(row["created_at"]), screenings)
