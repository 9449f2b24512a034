"""Run a planned chain and record how it ended: the one code path every value-moving
operation goes through.

The row of the operation is written first (status pending, with its planned legs);
then the chain goes to the ledger; then the row is finished. A crash in between leaves
a pending row whose retry resubmits the same transfer ids: the ledger answers `exists`
for what it applied, so the retry completes the row and never moves value twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import Connection

from digisom.cbdc.context import Context
from digisom.cbdc.errors import CbdcError, failure_json
from digisom.cbdc.ledger_port import Leg


def run(
    ctx: Context, operation_id: str, legs: Sequence[Leg], finish: Callable[[Connection, str | None], None]
) -> None:
    """Submit `legs` as one linked chain, then `finish(conn, failure)` in one transaction;
    re-raise the typed failure after recording it."""
    try:
        ctx.ledger.submit(operation_id, legs)
    except CbdcError as error:
        with ctx.engine.begin() as conn:
            finish(conn, failure_json(error))
        raise
    with ctx.engine.begin() as conn:
        finish(conn, None)
