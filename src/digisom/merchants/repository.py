"""SQL of merchant invoices (SQLAlchemy Core), one function per statement."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Row, Table, delete, insert, select, update
from sqlalchemy.sql import ColumnElement

from digisom.merchants import tables as t
from digisom.merchants.model import Asset, Invoice, InvoiceDetail, InvoiceStatus, Move, MoveKind, MoveState, Payment

_Item = TypeVar("_Item")


def _invoice(row: Row[Any], received: int, refunded: int) -> Invoice:
    return Invoice(row.invoice_id, row.merchant_id, row.wallet_id, row.bank_code, int(row.amount_tyiyn),
                   Asset(row.asset), int(row.chain_id), row.token_address, row.pay_address, int(row.pay_units),
                   int(row.decimals), None if row.rate_som_e6 is None else int(row.rate_som_e6), row.description,
                   row.created_at, row.expires_at, InvoiceStatus(row.status), row.reason, received,
                   int(row.settled_tyiyn), refunded, row.updated_at)


def _payment(row: Row[Any]) -> Payment:
    return Payment(row.invoice_id, row.tx_hash, int(row.log_index), int(row.block_number), row.sender,
                   int(row.amount_units), row.seen_at, bool(row.late), row.screening, row.reason)


def _move(row: Row[Any]) -> Move:
    return Move(row.move_id, row.invoice_id, MoveKind(row.kind), row.source, row.to_address,
                int(row.amount_units), row.nonce, int(row.valid_after), int(row.valid_before), row.signature,
                MoveState(row.state), row.tx_hash, row.reason, row.updated_at)


def insert_invoice(conn: Connection, values: dict[str, Any]) -> None:
    conn.execute(insert(t.invoices).values(**values))


def invoice_row(conn: Connection, invoice_id: str) -> Row[Any] | None:
    return conn.execute(select(t.invoices).where(t.invoices.c.invoice_id == invoice_id)).first()


def invoice_by_key(conn: Connection, merchant_id: str, key: str) -> Row[Any] | None:
    c = t.invoices.c
    return conn.execute(select(t.invoices).where(c.merchant_id == merchant_id, c.idempotency_key == key)).first()


def load(conn: Connection, row: Row[Any]) -> Invoice:
    [detail] = load_detailed(conn, [row])
    return detail.invoice


def load_detailed(conn: Connection, rows: Sequence[Row[Any]]) -> list[InvoiceDetail]:
    """Invoices with what they received and refunded, and the payments and moves those sum:
    two queries for all of `rows`."""
    ids = [row.invoice_id for row in rows]
    paid, moved = payments_of(conn, ids), moves_of(conn, ids)
    return [InvoiceDetail(_invoice(row, sum(p.amount_units for p in paid[row.invoice_id]),
                                   sum(m.amount_units for m in moved[row.invoice_id]
                                       if m.kind is MoveKind.REFUND and m.state is MoveState.CONFIRMED)),
                          paid[row.invoice_id], moved[row.invoice_id])
            for row in rows]


def invoices_where(conn: Connection, *conditions: Any, limit: int = 1000, offset: int = 0) -> list[InvoiceDetail]:
    """Oldest first, with their payments and moves: at most `limit`, skipping the first `offset`."""
    rows = conn.execute(select(t.invoices).where(*conditions).order_by(t.invoices.c.created_at,
                                                                        t.invoices.c.invoice_id)
                        .limit(limit).offset(offset)).all()
    return load_detailed(conn, rows)


def invoices_at(conn: Connection, token_address: str, addresses: Iterable[str]) -> dict[str, str]:
    """Invoice ids by their pay address, for the addresses that are one."""
    c = t.invoices.c
    rows = conn.execute(select(c.pay_address, c.invoice_id).where(
        c.token_address == token_address, c.pay_address.in_(list(addresses)))).all()
    return {row.pay_address: row.invoice_id for row in rows}


def set_status(conn: Connection, invoice_id: str, status: InvoiceStatus, reason: str, now: str,
               settled_tyiyn: int = 0) -> None:
    conn.execute(update(t.invoices).where(t.invoices.c.invoice_id == invoice_id).values(
        status=status.value, reason=reason[:t.TEXT_CHARS_MAX], updated_at=now, settled_tyiyn=settled_tyiyn))


def payments(conn: Connection, invoice_id: str) -> list[Payment]:
    return payments_of(conn, [invoice_id])[invoice_id]


def payments_of(conn: Connection, invoice_ids: Sequence[str]) -> dict[str, list[Payment]]:
    """Each invoice's payments in chain order, in one query (a page of invoices)."""
    c = t.payments.c
    return _by_invoice(conn, t.payments, _payment, invoice_ids, c.block_number, c.log_index)


def _by_invoice(conn: Connection, table: Table, build: Callable[[Row[Any]], _Item], invoice_ids: Sequence[str],
                *order: ColumnElement[Any]) -> dict[str, list[_Item]]:
    """`table`'s rows of each invoice (built by `build`, in `order`), in one query."""
    found: dict[str, list[_Item]] = {invoice_id: [] for invoice_id in invoice_ids}
    for row in conn.execute(select(table).where(table.c.invoice_id.in_(found))
                            .order_by(table.c.invoice_id, *order)):
        found[row.invoice_id].append(build(row))
    return found


def insert_payment(conn: Connection, chain_id: int, payment: Payment) -> bool:
    """False if it was recorded before (a replay after a restart or a re-org)."""
    c = t.payments.c
    known = conn.execute(select(c.invoice_id).where(c.chain_id == chain_id, c.tx_hash == payment.tx_hash,
                                                    c.log_index == payment.log_index)).first()
    if known is not None:
        return False
    conn.execute(insert(t.payments).values(
        chain_id=chain_id, tx_hash=payment.tx_hash, log_index=payment.log_index, invoice_id=payment.invoice_id,
        block_number=payment.block_number, sender=payment.sender, amount_units=str(payment.amount_units),
        seen_at=payment.seen_at, late=int(payment.late), screening=payment.screening,
        reason=payment.reason[:t.TEXT_CHARS_MAX]))
    return True


def payments_after(conn: Connection, chain_id: int, block_number: int, *invoice_conditions: Any) -> list[Payment]:
    """The payments on `chain_id` above `block_number` (a re-org's fork) to the invoices
    that `invoice_conditions` select, in one query: a fork is a few blocks deep, so the
    answer stays small however many invoices there are."""
    c = t.payments.c
    invoices = select(t.invoices.c.invoice_id).where(*invoice_conditions)
    rows = conn.execute(select(t.payments).where(c.chain_id == chain_id, c.block_number > block_number,
                                                 c.invoice_id.in_(invoices))).all()
    return [_payment(row) for row in rows]


def payments_stopped_by(conn: Connection, reason_prefix: str) -> list[Payment]:
    """Payments held by one screening (hit or review): its reference starts their reason."""
    c = t.payments.c
    rows = conn.execute(select(t.payments).where(c.screening.in_(["hit", "review"]),
                                                 c.reason.startswith(reason_prefix, autoescape=True))).all()
    return [_payment(row) for row in rows]


def set_screening(conn: Connection, chain_id: int, payment: Payment, screening: str, reason: str) -> None:
    c = t.payments.c
    conn.execute(update(t.payments).where(c.chain_id == chain_id, c.tx_hash == payment.tx_hash,
                                          c.log_index == payment.log_index).values(
        screening=screening, reason=reason[:t.TEXT_CHARS_MAX]))


def delete_payment(conn: Connection, chain_id: int, payment: Payment) -> None:
    c = t.payments.c
    conn.execute(delete(t.payments).where(c.chain_id == chain_id, c.tx_hash == payment.tx_hash,
                                          c.log_index == payment.log_index))


def moves(conn: Connection, invoice_id: str) -> list[Move]:
    return moves_of(conn, [invoice_id])[invoice_id]


def moves_of(conn: Connection, invoice_ids: Sequence[str]) -> dict[str, list[Move]]:
    """Each invoice's moves, oldest first, in one query (a page of invoices)."""
    return _by_invoice(conn, t.moves, _move, invoice_ids, t.moves.c.created_at, t.moves.c.move_id)


def insert_move(conn: Connection, move: Move, now: str) -> None:
    conn.execute(insert(t.moves).values(
        move_id=move.move_id, invoice_id=move.invoice_id, kind=move.kind.value, source=move.source,
        to_address=move.to, amount_units=str(move.amount_units), nonce=move.nonce,
        valid_after=str(move.valid_after), valid_before=str(move.valid_before), signature=move.signature,
        state=move.state.value,
        tx_hash=move.tx_hash, reason=move.reason[:t.TEXT_CHARS_MAX], created_at=now, updated_at=now))


def invoices_moving(conn: Connection) -> set[str]:
    """Invoices with a move out of their address still on its way."""
    c = t.moves.c
    rows = conn.execute(select(c.invoice_id).where(c.state.in_([MoveState.SIGNED.value, MoveState.SENT.value]))
                        .distinct()).all()
    return {row.invoice_id for row in rows}


def invoice_ids_due(conn: Connection, awaiting: Sequence[str], expired_before: str,
                    active: Sequence[str]) -> list[str]:
    """Ids of the invoices the worker has a step for: awaiting ones past `expired_before`,
    those in an `active` status (oldest first), then any other with a move still on its way."""
    c = t.invoices.c
    rows = conn.execute(select(c.invoice_id).where(
        (c.status.in_(list(awaiting)) & (c.expires_at < expired_before)) | c.status.in_(list(active)))
        .order_by(c.created_at, c.invoice_id)).all()
    found = [row.invoice_id for row in rows]
    return found + sorted(invoices_moving(conn) - set(found))


def set_move(conn: Connection, move_id: str, state: MoveState, tx_hash: str, reason: str, now: str) -> None:
    conn.execute(update(t.moves).where(t.moves.c.move_id == move_id).values(
        state=state.value, tx_hash=tx_hash, reason=reason[:t.TEXT_CHARS_MAX], updated_at=now))


class CursorRepository:
    """The follower's `CursorStore` for one token, in this domain's database."""

    def __init__(self, engine: Engine, token: str) -> None:
        self._engine = engine
        self._token = token

    def recent(self) -> list[Row[Any]]:
        with self._engine.connect() as conn:
            return list(conn.execute(select(t.cursor_blocks).where(t.cursor_blocks.c.token == self._token)
                                     .order_by(t.cursor_blocks.c.number)).all())

    def remember(self, block: Any, keep: int) -> None:
        c = t.cursor_blocks.c
        with self._engine.begin() as conn:
            conn.execute(insert(t.cursor_blocks).values(
                token=self._token, number=block.number, hash=block.hash, parent_hash=block.parent_hash))
            floor = conn.execute(select(c.number).where(c.token == self._token).order_by(c.number.desc())
                                 .offset(keep).limit(1)).scalar()
            if floor is not None:
                conn.execute(delete(t.cursor_blocks).where(c.token == self._token, c.number <= floor))

    def forget_after(self, number: int) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(t.cursor_blocks).where(t.cursor_blocks.c.token == self._token,
                                                       t.cursor_blocks.c.number > number))
