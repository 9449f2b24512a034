"""Reads and writes of the RTGS's tables. Functions take an open SQLAlchemy `Connection`,
so the caller decides what goes into one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Connection, Row, func, select, update

from digisom.interbank import tables as t
from digisom.interbank.priority import Priority
from digisom.interbank.records import Bank, BankDayResult, PaymentRecord, PaymentStatus, StoredMessage

# -- banks ---------------------------------------------------------------------------


def _bank(row: Row[Any]) -> Bank:
    return Bank(row.bank_code, row.bic, row.name, int(row.settlement_account_id), int(row.credit_line_account_id))


def insert_bank(conn: Connection, bank: Bank, created_at: str) -> None:
    """Add a participant (UNIQUE on bank code, BIC and accounts)."""
    conn.execute(t.banks.insert().values(
        bank_code=bank.bank_code, bic=bank.bic, name=bank.name, settlement_account_id=str(bank.settlement_account_id),
        credit_line_account_id=str(bank.credit_line_account_id), created_at=created_at,
    ))


def get_bank(conn: Connection, bank_code: str) -> Bank | None:
    """The participant with `bank_code`, or None."""
    row = conn.execute(select(t.banks).where(t.banks.c.bank_code == bank_code)).first()
    return _bank(row) if row else None


def bank_by_bic(conn: Connection, bic: str) -> Bank | None:
    """The participant with `bic`, or None."""
    row = conn.execute(select(t.banks).where(t.banks.c.bic == bic)).first()
    return _bank(row) if row else None


def all_banks(conn: Connection) -> list[Bank]:
    """Every participant, by bank code."""
    return [_bank(row) for row in conn.execute(select(t.banks).order_by(t.banks.c.bank_code))]


# -- business days -------------------------------------------------------------------


def day_status(conn: Connection, day: date) -> tuple[str, int] | None:
    """(status, last_lsm_s) of `day`, or None if it never opened."""
    row = conn.execute(select(t.days.c.status, t.days.c.last_lsm_s).where(
        t.days.c.business_date == day.isoformat())).first()
    return (row.status, row.last_lsm_s) if row else None


def open_day(conn: Connection, day: date) -> None:
    """Record `day` as open (once)."""
    if day_status(conn, day) is None:
        conn.execute(t.days.insert().values(business_date=day.isoformat(), status="open", last_lsm_s=0))


def set_last_lsm(conn: Connection, day: date, at_s: int) -> None:
    """Remember when the multilateral run last ran."""
    conn.execute(update(t.days).where(t.days.c.business_date == day.isoformat()).values(last_lsm_s=at_s))


def close_day(conn: Connection, day: date, closed_at: str) -> None:
    """Record `day` as closed."""
    conn.execute(update(t.days).where(t.days.c.business_date == day.isoformat()).values(
        status="closed", closed_at=closed_at))


# -- messages ------------------------------------------------------------------------


def insert_message(
    conn: Connection, direction: str, bank_code: str, message_id: str, message_type: str, day: date,
    xml: bytes, created_at: str, payment_seq: int | None = None, status: str | None = None,
    reason_code: str | None = None,
) -> int:
    """Store a message; UNIQUE(direction, bank, message id) refuses a duplicate. Returns its seq."""
    result = conn.execute(t.messages.insert().values(
        direction=direction, bank_code=bank_code, message_id=message_id, message_type=message_type,
        business_date=day.isoformat(), xml=xml.decode("utf-8"), created_at=created_at, payment_seq=payment_seq,
        status=status, reason_code=reason_code,
    ))
    key = result.inserted_primary_key
    return int(key[0]) if key else 0


def set_message_answer(conn: Connection, seq: int, payment_seq: int | None, status: str, reason: str | None) -> None:
    """Record which payment an inbound message made and the status first answered."""
    conn.execute(update(t.messages).where(t.messages.c.seq == seq).values(
        payment_seq=payment_seq, status=status, reason_code=reason))


def inbound_answer(conn: Connection, bank_code: str, message_id: str) -> tuple[int | None, str, str | None] | None:
    """(payment seq, status, reason) first answered to an inbound message, or None."""
    row = conn.execute(select(t.messages.c.payment_seq, t.messages.c.status, t.messages.c.reason_code).where(
        t.messages.c.direction == "in", t.messages.c.bank_code == bank_code,
        t.messages.c.message_id == message_id)).first()
    if row is None:
        return None
    return row.payment_seq, row.status or "RJCT", row.reason_code


def _message(row: Row[Any]) -> StoredMessage:
    return StoredMessage(row.seq, row.direction, row.bank_code, row.message_id, row.message_type,
                         date.fromisoformat(row.business_date), row.xml.encode("utf-8"))


def messages_for(conn: Connection, bank_code: str | None, after_seq: int, limit: int,
                 message_type: str | None = None, direction: str = "out") -> list[StoredMessage]:
    """A page of messages to (or from) `bank_code` (None: every bank), by seq."""
    query = select(t.messages).where(t.messages.c.seq > after_seq, t.messages.c.direction == direction)
    if bank_code is not None:
        query = query.where(t.messages.c.bank_code == bank_code)
    if message_type is not None:
        query = query.where(t.messages.c.message_type == message_type)
    return [_message(row) for row in conn.execute(query.order_by(t.messages.c.seq).limit(limit))]


def message(conn: Connection, bank_code: str, message_id: str, direction: str = "out") -> StoredMessage | None:
    """One message to (or from) `bank_code`."""
    row = conn.execute(select(t.messages).where(
        t.messages.c.direction == direction, t.messages.c.bank_code == bank_code,
        t.messages.c.message_id == message_id)).first()
    return _message(row) if row else None


# -- payments ------------------------------------------------------------------------


def _payment(row: Row[Any]) -> PaymentRecord:
    return PaymentRecord(
        row.seq, row.message_id, row.message_type, row.end_to_end_id, row.instruction_id, row.debtor_bank,
        row.creditor_bank, row.amount_tyiyn, Priority(row.priority), date.fromisoformat(row.business_date),
        row.arrival_s, PaymentStatus(row.status), row.attempt, row.reason_code,
    )


def insert_payment(conn: Connection, p: PaymentRecord, created_at: str, return_of: int | None = None) -> int:
    """Queue a payment; the UNIQUE constraints refuse a repeated message or end-to-end id."""
    result = conn.execute(t.payments.insert().values(
        message_id=p.message_id, message_type=p.message_type, end_to_end_id=p.end_to_end_id,
        instruction_id=p.instruction_id, debtor_bank=p.debtor_bank, creditor_bank=p.creditor_bank,
        amount_tyiyn=p.amount_tyiyn, priority=p.priority.value, business_date=p.business_date.isoformat(),
        arrival_s=p.arrival_s, status=p.status.value, attempt=p.attempt, return_of=return_of, created_at=created_at,
    ))
    key = result.inserted_primary_key
    return int(key[0]) if key else 0


def payment(conn: Connection, seq: int) -> PaymentRecord | None:
    """One payment by seq."""
    row = conn.execute(select(t.payments).where(t.payments.c.seq == seq)).first()
    return _payment(row) if row else None


def payment_by_e2e(conn: Connection, debtor_bank: str, end_to_end_id: str, day: date) -> PaymentRecord | None:
    """The payment of `debtor_bank` with `end_to_end_id` on `day`."""
    row = conn.execute(select(t.payments).where(
        t.payments.c.debtor_bank == debtor_bank, t.payments.c.end_to_end_id == end_to_end_id,
        t.payments.c.business_date == day.isoformat())).first()
    return _payment(row) if row else None


def settled_original(
    conn: Connection, debtor_bank: str, creditor_bank: str, end_to_end_id: str
) -> PaymentRecord | None:
    """The latest settled payment from `debtor_bank` to `creditor_bank` with `end_to_end_id`."""
    row = conn.execute(select(t.payments).where(
        t.payments.c.debtor_bank == debtor_bank, t.payments.c.creditor_bank == creditor_bank,
        t.payments.c.end_to_end_id == end_to_end_id, t.payments.c.status == PaymentStatus.SETTLED.value,
        t.payments.c.return_of.is_(None)).order_by(t.payments.c.seq.desc())).first()
    return _payment(row) if row else None


def returned_tyiyn(conn: Connection, original_seq: int) -> int:
    """How much of a payment is already returned or being returned."""
    total = conn.execute(select(func.coalesce(func.sum(t.payments.c.amount_tyiyn), 0)).where(
        t.payments.c.return_of == original_seq, t.payments.c.status != PaymentStatus.REJECTED.value)).scalar_one()
    return int(total)


def queued(conn: Connection, day: date) -> list[PaymentRecord]:
    """The day's queued payments in arrival order."""
    query = select(t.payments).where(t.payments.c.business_date == day.isoformat(),
                                     t.payments.c.status == PaymentStatus.QUEUED.value)
    return [_payment(row) for row in conn.execute(query.order_by(t.payments.c.seq))]


def queued_page(conn: Connection, after_seq: int, limit: int) -> list[PaymentRecord]:
    """Queued payments of every open day in arrival order, after `after_seq`: a bounded page."""
    query = select(t.payments).where(t.payments.c.status == PaymentStatus.QUEUED.value, t.payments.c.seq > after_seq)
    return [_payment(row) for row in conn.execute(query.order_by(t.payments.c.seq).limit(limit))]


def mark_settled(conn: Connection, seq: int, method: str, settled_s: int, debit_id: int, credit_id: int) -> bool:
    """A queued payment's chain was committed on the ledger; False (nothing changed) if the
    payment is no longer queued: settled or rejected already, it is never settled again."""
    result = conn.execute(update(t.payments).where(
        t.payments.c.seq == seq, t.payments.c.status == PaymentStatus.QUEUED.value).values(
        status=PaymentStatus.SETTLED.value, method=method, settled_s=settled_s,
        debit_transfer_id=str(debit_id), credit_transfer_id=str(credit_id)))
    return result.rowcount == 1


def retry_later(conn: Connection, seqs: Iterable[int]) -> None:
    """The ledger refused these payments' chain: they stay queued under new transfer ids."""
    for seq in seqs:
        conn.execute(update(t.payments).where(t.payments.c.seq == seq).values(attempt=t.payments.c.attempt + 1))


def mark_rejected(conn: Connection, seq: int, reason_code: str) -> None:
    """A queued payment refused (end of day)."""
    conn.execute(update(t.payments).where(t.payments.c.seq == seq).values(
        status=PaymentStatus.REJECTED.value, reason_code=reason_code))


def settled_transfer_refs(conn: Connection, bank_code: str) -> dict[int, str]:
    """Ledger transfer id -> end-to-end id, for the settled payments touching `bank_code`."""
    query = select(t.payments.c.end_to_end_id, t.payments.c.debit_transfer_id, t.payments.c.credit_transfer_id).where(
        t.payments.c.status == PaymentStatus.SETTLED.value,
        (t.payments.c.debtor_bank == bank_code) | (t.payments.c.creditor_bank == bank_code))
    refs: dict[int, str] = {}
    for row in conn.execute(query):
        refs[int(row.debit_transfer_id)] = row.end_to_end_id
        refs[int(row.credit_transfer_id)] = row.end_to_end_id
    return refs


# -- pledges and end of day ------------------------------------------------------------


def insert_pledge(conn: Connection, bank_code: str, key: str, amount_tyiyn: int, created_at: str) -> bool:
    """Record a pledge once per key; False if the key was used already."""
    exists = conn.execute(select(t.pledges.c.seq).where(
        t.pledges.c.bank_code == bank_code, t.pledges.c.pledge_key == key)).first()
    if exists:
        return False
    conn.execute(t.pledges.insert().values(bank_code=bank_code, pledge_key=key, amount_tyiyn=amount_tyiyn,
                                           created_at=created_at))
    return True


def pledged_tyiyn(conn: Connection, bank_code: str) -> int:
    """The collateral value a bank pledged in all."""
    total = conn.execute(select(func.coalesce(func.sum(t.pledges.c.amount_tyiyn), 0)).where(
        t.pledges.c.bank_code == bank_code)).scalar_one()
    return int(total)


def last_statement(conn: Connection, bank_code: str) -> tuple[int, int]:
    """(closing balance, last ledger timestamp) of the bank's latest statement; (0, 0) before the first."""
    row = conn.execute(select(t.day_banks.c.closing_balance_tyiyn, t.day_banks.c.last_transfer_ts).where(
        t.day_banks.c.bank_code == bank_code).order_by(t.day_banks.c.business_date.desc())).first()
    return (row.closing_balance_tyiyn, row.last_transfer_ts) if row else (0, 0)


def insert_day_bank(conn: Connection, day: date, result: BankDayResult, last_transfer_ts: int) -> None:
    """Record one bank's end of day."""
    conn.execute(t.day_banks.insert().values(
        business_date=day.isoformat(), bank_code=result.bank_code, credit_drawn_tyiyn=result.credit_drawn_tyiyn,
        credit_repaid_tyiyn=result.credit_repaid_tyiyn, credit_unpaid_tyiyn=result.credit_unpaid_tyiyn,
        rejected_payments=result.rejected_payments, opening_balance_tyiyn=result.opening_balance_tyiyn,
        closing_balance_tyiyn=result.closing_balance_tyiyn, last_transfer_ts=last_transfer_ts,
        statement_message_id=result.statement_message_id,
    ))


def day_banks(conn: Connection, day: date) -> list[BankDayResult]:
    """Every bank's end-of-day record for `day`."""
    query = select(t.day_banks).where(t.day_banks.c.business_date == day.isoformat()).order_by(
        t.day_banks.c.bank_code)
    return [
        BankDayResult(r.bank_code, r.credit_drawn_tyiyn, r.credit_repaid_tyiyn, r.credit_unpaid_tyiyn,
                      r.rejected_payments, r.opening_balance_tyiyn, r.closing_balance_tyiyn, r.statement_message_id)
        for r in conn.execute(query)
    ]


def open_days(conn: Connection) -> list[date]:
    """The business days not closed yet."""
    query = select(t.days.c.business_date).where(t.days.c.status == "open").order_by(t.days.c.business_date)
    return [date.fromisoformat(d) for d in conn.execute(query).scalars()]


def payments_of(conn: Connection, day: date) -> list[PaymentRecord]:
    """Every payment of `day`, by seq."""
    query = select(t.payments).where(t.payments.c.business_date == day.isoformat()).order_by(t.payments.c.seq)
    return [_payment(row) for row in conn.execute(query)]
