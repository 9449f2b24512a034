"""The issuer's mints and redemptions, recorded by operation id.

The caller (the mint orchestrator, holding the mint lock) records an operation as
`sending` before it asks the chain, marks it `done` with the transaction id after, and
forgets it if the chain refused before anything was sent. So a retried id is answered
from the record: `done` returns the first outcome, `sending` (a crash or a lost answer
mid-send) is in doubt and is never sent again, and counts as issued until settled."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from enum import Enum, unique
from typing import Final

from sqlalchemy import Engine, RowMapping, func, select
from sqlalchemy.exc import IntegrityError

from digisom.kernel.clock import iso_utc
from digisom.kernel.db_errors import reraise_unless_unique
from digisom.usdkg import tables
from digisom.usdkg.errors import InvalidAmount, InvalidOperationId, OperationConflict

# What a BIGINT column holds; a larger amount is refused before any chain is asked.
AMOUNT_UNITS_MAX: Final = 2**63 - 1
_SCOPED_PREFIX: Final = "api:"
_OPERATION_ID: Final = re.compile(rf"[\x21-\x7e]{{1,{tables.OPERATION_ID_CHARS_MAX}}}")


@unique
class OperationKind(Enum):
    """A mint (issue to an address) or a redemption (burn at the redemption address)."""

    MINT = "mint"
    REDEEM = "redeem"


@unique
class OperationState(Enum):
    """`sending`: recorded, the chain asked, no outcome yet; `done`: confirmed on the chain."""

    SENDING = "sending"
    DONE = "done"


@dataclass(frozen=True, slots=True)
class OperationRequest:
    """What an operation asks for; a retry under the same id must ask for the same."""

    operation_id: str
    kind: OperationKind
    chain_id: int
    address: str
    amount_units: int


@dataclass(frozen=True, slots=True)
class Operation:
    """An operation as recorded."""

    request: OperationRequest
    state: OperationState
    tx_hash: str | None


def check_request(request: OperationRequest) -> None:
    """Refuse what the record (and the chain) would not take, before anything is written."""
    if not isinstance(request.operation_id, str) or not _OPERATION_ID.fullmatch(request.operation_id):
        raise InvalidOperationId(
            f"an operation id is 1-{tables.OPERATION_ID_CHARS_MAX} printable ASCII characters, no spaces"
        )
    amount = request.amount_units
    if isinstance(amount, bool) or not isinstance(amount, int) or not 0 < amount <= AMOUNT_UNITS_MAX:
        raise InvalidAmount(f"an amount is a whole number of token units, 1 to {AMOUNT_UNITS_MAX}")
    if not request.address or len(request.address) > tables.ADDRESS_CHARS_MAX:
        raise InvalidAmount(f"an address is 1-{tables.ADDRESS_CHARS_MAX} characters")


def scoped_operation_id(scope: str, key: str) -> str:
    """The operation id of a caller's own key (the API's principal and Idempotency-Key):
    within the id rules whatever their length, and no two callers' keys share one."""
    digest = hashlib.sha256(f"{scope}\n{key}".encode()).hexdigest()
    return f"{_SCOPED_PREFIX}{digest}"[: tables.OPERATION_ID_CHARS_MAX]


def _operation(row: RowMapping) -> Operation:
    request = OperationRequest(
        row["operation_id"], OperationKind(row["kind"]), int(row["chain_id"]), row["address"], int(row["amount_units"])
    )
    return Operation(request, OperationState(row["state"]), row["tx_hash"])


@dataclass(frozen=True, slots=True)
class Operations:
    """The operations on the issuer's database."""

    engine: Engine

    def find(self, operation_id: str) -> Operation | None:
        """The operation recorded under `operation_id`, if any."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(tables.operations).where(tables.operations.c.operation_id == operation_id)
            ).mappings().first()
        return None if row is None else _operation(row)

    def replay(self, request: OperationRequest) -> Operation | None:
        """The operation recorded under the request's id (refused if it asked for something
        else), or None if the id is new."""
        found = self.find(request.operation_id)
        if found is not None and found.request != request:
            raise OperationConflict(
                f"the operation id {request.operation_id!r} was used for another request",
                operation_id=request.operation_id,
            )
        return found

    def start(self, request: OperationRequest, now: datetime) -> None:
        """Record `request` as `sending`, before the chain is asked. The primary key is the
        second check: an id recorded meanwhile (the lock not held) is a conflict, not a second send."""
        check_request(request)
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    tables.operations.insert().values(
                        operation_id=request.operation_id,
                        kind=request.kind.value,
                        chain_id=request.chain_id,
                        address=request.address,
                        amount_units=request.amount_units,
                        state=OperationState.SENDING.value,
                        created_at=iso_utc(now),
                    )
                )
        except IntegrityError as error:
            reraise_unless_unique(error)
            raise OperationConflict(
                f"the operation id {request.operation_id!r} is recorded already", operation_id=request.operation_id
            ) from error

    def complete(self, request: OperationRequest, tx_hash: str, now: datetime) -> Operation:
        """Mark the `sending` operation `done` with the chain's transaction id."""
        with self.engine.begin() as conn:
            conn.execute(
                tables.operations.update()
                .where(
                    tables.operations.c.operation_id == request.operation_id,
                    tables.operations.c.state == OperationState.SENDING.value,
                )
                .values(state=OperationState.DONE.value, tx_hash=tx_hash, completed_at=iso_utc(now))
            )
        return Operation(request, OperationState.DONE, tx_hash)

    def forget(self, operation_id: str) -> None:
        """Drop a `sending` operation the chain refused before anything was sent: the id
        may be used again."""
        with self.engine.begin() as conn:
            conn.execute(
                tables.operations.delete().where(
                    tables.operations.c.operation_id == operation_id,
                    tables.operations.c.state == OperationState.SENDING.value,
                )
            )

    def in_doubt_mint_units(self) -> int:
        """Token units of mints sent with no recorded outcome: counted as issued by the
        coverage check, since the chain may yet (or already) hold them."""
        query = select(func.coalesce(func.sum(tables.operations.c.amount_units), 0)).where(
            tables.operations.c.kind == OperationKind.MINT.value,
            tables.operations.c.state == OperationState.SENDING.value,
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def all(self) -> list[Operation]:
        """Every operation, in id order."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(tables.operations).order_by(tables.operations.c.operation_id)).mappings().all()
        return [_operation(row) for row in rows]
