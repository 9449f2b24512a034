"""The remittance domain's reads and writes on its tables, set-based: one statement per
batch, whatever its size."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, and_, bindparam, func, select, update

from digisom.kernel.clock import iso_utc
from digisom.remittance import tables
from digisom.remittance.model import Corridor, Partner, PartnerKind, Quote, Remittance, Status

# Statuses whose amounts count against the sender's monthly limit (held ones included:
# a review that clears pays without asking again).
SENDER_COUNTED = (Status.PAYING.value, Status.PENDING_REVIEW.value, Status.PAID.value)


def partner(conn: Connection, partner_id: str) -> Partner | None:
    """The partner, or None."""
    row = conn.execute(select(tables.partners).where(tables.partners.c.partner_id == partner_id)).mappings().first()
    if row is None:
        return None
    return Partner(row["partner_id"], row["name"], PartnerKind(row["kind"]), row["country"], row["bank_code"],
                   int(row["position_account_id"]), row["month_limit_tyiyn"], bool(row["active"]))


def insert_partner(conn: Connection, found: Partner, now: datetime) -> None:
    """Record a new partner."""
    conn.execute(tables.partners.insert().values(
        partner_id=found.partner_id, name=found.name, kind=found.kind.value, country=found.country,
        bank_code=found.bank_code, position_account_id=str(found.position_account_id),
        month_limit_tyiyn=found.month_limit_tyiyn, active=int(found.active), created_at=iso_utc(now)))


def corridor(conn: Connection, partner_id: str, currency: str) -> Corridor | None:
    """The partner's corridor of `currency`, or None."""
    c = tables.corridors.c
    row = conn.execute(select(tables.corridors).where(c.partner_id == partner_id, c.currency == currency)
                       ).mappings().first()
    return _corridor(row) if row is not None else None


def corridors_by_id(conn: Connection, ids: Iterable[str]) -> dict[str, Corridor]:
    """The corridors among `ids`."""
    rows = conn.execute(select(tables.corridors).where(tables.corridors.c.corridor_id.in_(sorted(set(ids)))))
    return {r["corridor_id"]: _corridor(r) for r in rows.mappings()}


def _corridor(row: RowMapping) -> Corridor:
    return Corridor(row["corridor_id"], row["partner_id"], row["currency"], row["fee_fixed_minor"], row["fee_bps"],
                    row["fx_margin_bps"], row["transfer_max_minor"], row["sender_month_max_minor"])


def upsert_corridor(conn: Connection, found: Corridor) -> None:
    """Record the corridor, replacing its earlier configuration in place (its quotes and
    remittances keep pointing at it: a delete and insert would break their foreign keys)."""
    values = {c.name: getattr(found, c.name) for c in tables.corridors.c}
    updated = conn.execute(tables.corridors.update().where(tables.corridors.c.corridor_id == found.corridor_id)
                           .values(**values))
    if updated.rowcount == 0:
        conn.execute(tables.corridors.insert().values(**values))


def insert_quotes(conn: Connection, found: Sequence[Quote]) -> None:
    """Record quotes, in one statement."""
    conn.execute(tables.quotes.insert(), [
        {c.name: getattr(q, c.name) for c in tables.quotes.c} | {"created_at": iso_utc(q.created_at),
                                                                 "expires_at": iso_utc(q.expires_at)}
        for q in found])


def quotes(conn: Connection, ids: Sequence[str]) -> dict[str, Quote]:
    """The quotes among `ids`."""
    rows = conn.execute(select(tables.quotes).where(tables.quotes.c.quote_id.in_(sorted(set(ids)))))
    found: dict[str, Quote] = {}
    for row in rows.mappings():
        values = dict(row)
        values["created_at"] = datetime.fromisoformat(values["created_at"])
        values["expires_at"] = datetime.fromisoformat(values["expires_at"])
        found[row["quote_id"]] = Quote(**values)
    return found


def remittances(conn: Connection, ids: Sequence[str]) -> dict[str, tuple[Remittance, str]]:
    """The remittances among `ids`, each with its body's digest."""
    rows = conn.execute(select(tables.remittances).where(tables.remittances.c.remittance_id.in_(sorted(set(ids)))))
    return {r["remittance_id"]: (_remittance(r), r["body_sha256"]) for r in rows.mappings()}


def quote_users(conn: Connection, quote_ids: Sequence[str]) -> dict[str, str]:
    """Quote id -> the remittance that used it, among `quote_ids`."""
    c = tables.remittances.c
    rows = conn.execute(select(c.quote_id, c.remittance_id).where(c.quote_id.in_(sorted(set(quote_ids)))))
    return {q: r for q, r in rows}  # noqa: C416 (rows are Row objects)


def _remittance(row: RowMapping) -> Remittance:
    values = {k: row[k] for k in Remittance.__dataclass_fields__ if k in row}
    values["status"] = Status(row["status"])
    values["created_at"] = datetime.fromisoformat(row["created_at"])
    return Remittance(**values)


def insert_remittances(conn: Connection, rows: Sequence[tuple[Remittance, str]],
                       screenings: Sequence[Mapping[str, str]], now: datetime) -> None:
    """Record new remittances (with their bodies' digests) and their screening decisions."""
    if not rows:
        return
    stamp = iso_utc(now)
    conn.execute(tables.remittances.insert(), [
        {**{k: getattr(r, k) for k in Remittance.__dataclass_fields__}, "status": r.status.value,
         "created_at": iso_utc(r.created_at), "updated_at": stamp, "body_sha256": digest}
        for r, digest in rows])
    if screenings:
        conn.execute(tables.screenings.insert(), list(screenings))


def set_outcomes(conn: Connection, outcomes: Sequence[Mapping[str, Any]], now: datetime) -> None:
    """Move remittances to their outcome (`status`, `reason`, `channel` and the split), each
    only from the state it was in (`from_status`): a guarded update."""
    if not outcomes:
        return
    c = tables.remittances.c
    statement = (update(tables.remittances)
                 .where(and_(c.remittance_id == bindparam("b_id"), c.status == bindparam("b_from")))
                 .values(status=bindparam("b_status"), reason=bindparam("b_reason"), channel=bindparam("b_channel"),
                         to_wallet_tyiyn=bindparam("b_wallet"), waterfall_tyiyn=bindparam("b_waterfall"),
                         to_bank_tyiyn=bindparam("b_bank"), updated_at=iso_utc(now)))
    conn.execute(statement, [{f"b_{k}": v for k, v in o.items()} for o in outcomes])


def sender_usage(conn: Connection, corridor_id: str, month: str, sender_ids: Sequence[str]) -> dict[str, int]:
    """What each sender sent in the corridor this month (minor units), held ones included."""
    c = tables.remittances.c
    rows = conn.execute(select(c.sender_id, func.sum(c.send_minor))
                        .where(c.corridor_id == corridor_id, c.month == month,
                               c.sender_id.in_(sorted(set(sender_ids))), c.status.in_(SENDER_COUNTED))
                        .group_by(c.sender_id))
    return {s: int(total) for s, total in rows}


def partner_paid_tyiyn(conn: Connection, partner_id: str, month: str) -> int:
    """What the partner paid out this month."""
    c = tables.remittances.c
    total = conn.execute(select(func.coalesce(func.sum(c.receive_tyiyn), 0))
                         .where(c.partner_id == partner_id, c.month == month, c.status == Status.PAID.value)
                         ).scalar_one()
    return int(total)


def by_status(conn: Connection, status: Status, limit: int) -> list[Remittance]:
    """Remittances in `status`, oldest first."""
    c = tables.remittances.c
    rows = conn.execute(select(tables.remittances).where(c.status == status.value)
                        .order_by(c.created_at, c.remittance_id).limit(limit))
    return [_remittance(r) for r in rows.mappings()]


def insert_review(conn: Connection, remittance_id: str, decision: str, officer: str, note: str,
                  now: datetime) -> None:
    """Record a compliance officer's decision."""
    conn.execute(tables.reviews.insert().values(remittance_id=remittance_id, decision=decision, officer=officer,
                                                note=note, decided_at=iso_utc(now)))


def funding(conn: Connection, funding_id: str) -> RowMapping | None:
    """A recorded funding, or None."""
    return conn.execute(select(tables.fundings).where(tables.fundings.c.funding_id == funding_id)).mappings().first()


def insert_funding(conn: Connection, funding_id: str, partner_id: str, kind: str, amount_tyiyn: int,
                   now: datetime) -> None:
    """Record a funding."""
    conn.execute(tables.fundings.insert().values(funding_id=funding_id, partner_id=partner_id, kind=kind,
                                                 amount_tyiyn=amount_tyiyn, created_at=iso_utc(now)))
