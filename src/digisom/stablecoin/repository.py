"""Reads and writes of the bridge's tables. Functions take an open `Connection`, so the
caller decides what goes into one transaction, and the token (`token_key`) whose rows
they touch. `CursorRepository` is the event follower's cursor over the same database."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, Row, delete, func, select

from digisom.stablecoin import tables as t
from digisom.stablecoin.model import Kind, Operation, ReserveReport, State
from digisom.stablecoin.ports import BlockMark, PreparedTx


def token_key(chain_id: int, token_address: str) -> str:
    """`<chain id>:<token address>`: the token a row belongs to."""
    return f"{chain_id}:{token_address.lower()}"


def _operation(row: Row[Any]) -> Operation:
    return Operation(
        row.id, Kind(row.kind), State(row.state), row.wallet_id, row.address, int(row.amount_tyiyn),
        int(row.amount_token_units), row.tx_hash, row.nonce, bytes.fromhex(row.raw_tx) if row.raw_tx else None,
        row.source_tx_hash, row.source_log_index, row.source_block, row.failure, row.created_at, row.updated_at,
    )


def insert_operation(conn: Connection, token: str, op: Operation) -> None:
    """Add an operation of `token` (UNIQUE on its id and on its source transfer)."""
    conn.execute(t.operations.insert().values(
        id=op.id, token=token, kind=op.kind.value, state=op.state.value, wallet_id=op.wallet_id, address=op.address,
        amount_tyiyn=op.amount_tyiyn, amount_token_units=str(op.amount_token_units),
        source_tx_hash=op.source_tx_hash, source_log_index=op.source_log_index, source_block=op.source_block,
        failure=op.failure, created_at=op.created_at, updated_at=op.updated_at,
    ))


def get_operation(conn: Connection, operation_id: str) -> Operation | None:
    """The operation with `operation_id`, or None."""
    row = conn.execute(select(t.operations).where(t.operations.c.id == operation_id)).first()
    return _operation(row) if row else None


def open_operations(conn: Connection, token: str) -> list[Operation]:
    """Operations of `token` not in a final state, oldest first."""
    final = (State.POSTED.value, State.VOIDED.value, State.REJECTED.value, State.UNMATCHED.value)
    query = (select(t.operations).where(t.operations.c.token == token, t.operations.c.state.not_in(final))
             .order_by(t.operations.c.seq))
    return [_operation(row) for row in conn.execute(query)]


def list_operations(conn: Connection, token: str, after_seq: int, limit: int) -> list[tuple[int, Operation]]:
    """A page of `token`'s operations in creation order, with their seq."""
    query = (select(t.operations).where(t.operations.c.token == token, t.operations.c.seq > after_seq)
             .order_by(t.operations.c.seq).limit(limit))
    return [(row.seq, _operation(row)) for row in conn.execute(query)]


def set_state(conn: Connection, operation_id: str, state: State, now: str, failure: str | None = None) -> None:
    """Move an operation to `state`."""
    values: dict[str, object] = {"state": state.value, "updated_at": now}
    if failure is not None:
        values["failure"] = failure
    conn.execute(t.operations.update().where(t.operations.c.id == operation_id).values(**values))


def record_sent(conn: Connection, operation_id: str, tx: PreparedTx, now: str) -> None:
    """Keep a signed transaction as the operation's current one (before it is broadcast)."""
    conn.execute(t.attempts.insert().values(
        tx_hash=tx.tx_hash, operation_id=operation_id, sender=tx.sender, nonce=tx.nonce, raw_tx=tx.raw.hex(),
        created_at=now))
    conn.execute(t.operations.update().where(t.operations.c.id == operation_id).values(
        state=State.SENT.value, tx_hash=tx.tx_hash, nonce=tx.nonce, raw_tx=tx.raw.hex(), updated_at=now))


def attempt_hashes(conn: Connection, operation_id: str) -> list[str]:
    """Every transaction hash signed for the operation."""
    query = select(t.attempts.c.tx_hash).where(t.attempts.c.operation_id == operation_id)
    return list(conn.execute(query).scalars())


def max_nonce(conn: Connection, sender: str) -> int | None:
    """The highest nonce a recorded transaction of `sender` used."""
    value = conn.execute(select(func.max(t.attempts.c.nonce)).where(t.attempts.c.sender == sender)).scalar()
    return int(value) if value is not None else None


def link(conn: Connection, address: str, wallet_id: str, now: str) -> None:
    """Link `address` to `wallet_id` (PRIMARY KEY on the address)."""
    conn.execute(t.links.insert().values(address=address, wallet_id=wallet_id, created_at=now))


def linked_wallet(conn: Connection, address: str) -> str | None:
    """The wallet `address` redeems into, or None."""
    return conn.execute(select(t.links.c.wallet_id).where(t.links.c.address == address)).scalar()


def unmatched_redemptions(conn: Connection, token: str, failure_prefix: str) -> list[Operation]:
    """`token`'s unmatched redemptions whose failure begins with `failure_prefix`, oldest first."""
    c = t.operations.c
    query = (select(t.operations).where(c.token == token, c.kind == Kind.REDEEM.value,
                                        c.state == State.UNMATCHED.value, c.failure.startswith(failure_prefix,
                                                                                               autoescape=True))
             .order_by(c.seq))
    return [_operation(row) for row in conn.execute(query)]


def reopen_unmatched(conn: Connection, operation_id: str, was_failure: str, state: State, failure: str,
                     now: str) -> bool:
    """Move an unmatched operation (still as read: same failure) to `state` with `failure`;
    False if it moved meanwhile."""
    c = t.operations.c
    result = conn.execute(t.operations.update().where(
        c.id == operation_id, c.state == State.UNMATCHED.value, c.failure == was_failure,
    ).values(state=state.value, failure=failure, updated_at=now))
    return int(result.rowcount) == 1


def forget_redemptions_after(conn: Connection, token: str, block_number: int) -> int:
    """Drop `token`'s redemptions seen in blocks above `block_number` that have not moved anything yet."""
    untouched = (State.REQUESTED.value, State.UNMATCHED.value)
    result = conn.execute(delete(t.operations).where(
        t.operations.c.token == token, t.operations.c.kind == Kind.REDEEM.value,
        t.operations.c.source_block > block_number, t.operations.c.state.in_(untouched)))
    return int(result.rowcount)


def insert_report(conn: Connection, report: ReserveReport) -> None:
    """Publish a reserve report."""
    conn.execute(t.reserve_reports.insert().values(
        chain_id=report.chain_id, token_address=report.token_address, decimals=report.decimals,
        supply_token_units=str(report.supply_token_units), supply_tyiyn=report.supply_tyiyn,
        reserve_tyiyn=report.reserve_tyiyn, mint_in_flight_tyiyn=report.mint_in_flight_tyiyn,
        redeem_in_flight_tyiyn=report.redeem_in_flight_tyiyn,
        minter_allowance_token_units=str(report.minter_allowance_token_units),
        balanced=int(report.balanced), at=report.at,
    ))


def latest_report(conn: Connection, token_address: str) -> ReserveReport | None:
    """The newest published reserve report of the token at `token_address`."""
    query = select(t.reserve_reports).where(func.lower(t.reserve_reports.c.token_address) == token_address.lower())
    row = conn.execute(query.order_by(t.reserve_reports.c.seq.desc()).limit(1)).first()
    return None if row is None else _report(row)


def recent_reports(conn: Connection, limit: int) -> list[ReserveReport]:
    """The newest `limit` published reserve reports of every token, oldest first (the public history)."""
    rows = conn.execute(select(t.reserve_reports).order_by(t.reserve_reports.c.seq.desc()).limit(limit)).all()
    return [_report(row) for row in reversed(rows)]


def _report(row: Row[Any]) -> ReserveReport:
    return ReserveReport(
        int(row.chain_id), row.token_address, int(row.decimals), int(row.supply_token_units),
        None if row.supply_tyiyn is None else int(row.supply_tyiyn), int(row.reserve_tyiyn),
        int(row.mint_in_flight_tyiyn), int(row.redeem_in_flight_tyiyn), int(row.minter_allowance_token_units),
        row.at,
    )


class CursorRepository:
    """The event follower's `CursorStore` in the bridge's database."""

    def __init__(self, engine: Engine, token: str) -> None:
        self._engine = engine
        self._token = token

    def recent(self) -> list[BlockMark]:
        """Remembered blocks, oldest first."""
        with self._engine.connect() as conn:
            query = select(t.cursor_blocks).where(t.cursor_blocks.c.token == self._token)
            rows = conn.execute(query.order_by(t.cursor_blocks.c.number)).all()
        return [BlockMark(int(row.number), row.hash, row.parent_hash) for row in rows]

    def remember(self, block: BlockMark, keep: int) -> None:
        """Add the newest block handed on, keeping the last `keep`."""
        with self._engine.begin() as conn:
            conn.execute(t.cursor_blocks.insert().values(
                token=self._token, number=block.number, hash=block.hash, parent_hash=block.parent_hash))
            mine = t.cursor_blocks.c.token == self._token
            floor = conn.execute(select(t.cursor_blocks.c.number).where(mine)
                                 .order_by(t.cursor_blocks.c.number.desc()).offset(keep).limit(1)).scalar()
            if floor is not None:
                conn.execute(delete(t.cursor_blocks).where(mine, t.cursor_blocks.c.number <= floor))

    def forget_after(self, number: int) -> None:
        """Drop remembered blocks above `number`."""
        with self._engine.begin() as conn:
            conn.execute(delete(t.cursor_blocks).where(t.cursor_blocks.c.token == self._token,
                                                       t.cursor_blocks.c.number > number))
