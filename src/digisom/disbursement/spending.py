"""Public spending: what each programme paid, per period and region, with no personal data.

A cell is (programme, period, region): the number of payees paid and the total paid.
No PIN, name or per-person amount leaves this module. A cell with fewer than
`MIN_PAYEES_PER_CELL` payees is suppressed (counted as suppressed, figures withheld):
in a village where two people receive a benefit, the cell's total would otherwise tell
each of them the other's benefit. Only completed runs count, so a cell never shows a
run half-way through (a snapshot per batch would let anyone difference out one payee).

Also the per-status totals of one run, for the operator's progress view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection, Engine, func, select

from digisom.disbursement import tables
from digisom.disbursement.model import PaymentStatus, RunStatus

# Cells with fewer payees are suppressed; the smallest count statistical offices publish
# for benefit data is in this range (3 to 10), and 5 keeps village cells useful.
MIN_PAYEES_PER_CELL: Final = 5
CELLS_PER_PAGE_MAX: Final = 1000


@dataclass(frozen=True, slots=True)
class SpendingCell:
    """What one programme paid in one region in one period; no figures when suppressed."""

    programme_id: str
    period: str
    region: str
    payees: int | None  # None when suppressed
    paid_tyiyn: int | None  # None when suppressed

    @property
    def suppressed(self) -> bool:
        """True when the cell has too few payees to publish."""
        return self.payees is None


@dataclass(frozen=True, slots=True)
class StatusTotal:
    """How many of a run's payments have one status, and their tyiyn."""

    count: int
    amount_tyiyn: int


def spending(
    engine: Engine,
    programme_id: str | None = None,
    period: str | None = None,
    offset: int = 0,
    limit: int = CELLS_PER_PAGE_MAX,
) -> list[SpendingCell]:
    """Cells ordered by (programme, period, region), filtered and paged by `offset`/`limit`.

    Aggregated by the database (GROUP BY), so the query reads no row into Python.
    """
    payments, runs = tables.payments, tables.runs
    payees = func.count()
    query = (
        select(payments.c.programme_id, payments.c.period, payments.c.region, payees, func.sum(payments.c.amount_tyiyn))
        .join(runs, runs.c.id == payments.c.run_id)
        .where(payments.c.status == PaymentStatus.PAID.value, runs.c.status == RunStatus.COMPLETED.value)
        .group_by(payments.c.programme_id, payments.c.period, payments.c.region)
        .order_by(payments.c.programme_id, payments.c.period, payments.c.region)
        .offset(offset)
        .limit(min(limit, CELLS_PER_PAGE_MAX))
    )
    if programme_id is not None:
        query = query.where(payments.c.programme_id == programme_id)
    if period is not None:
        query = query.where(payments.c.period == period)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        SpendingCell(programme, month, region, int(count), int(total))
        if count >= MIN_PAYEES_PER_CELL
        else SpendingCell(programme, month, region, None, None)
        for programme, month, region, count, total in rows
    ]


def status_totals(engine: Engine, run_id: str) -> dict[PaymentStatus, StatusTotal]:
    """Count and tyiyn of a run's payments per status (every status present, zero if none)."""
    with engine.connect() as conn:
        return status_totals_in(conn, run_id)


def status_totals_in(conn: Connection, run_id: str) -> dict[PaymentStatus, StatusTotal]:
    """`status_totals` on an open connection (the service's progress reads it in its transaction)."""
    payments = tables.payments
    totals = dict.fromkeys(PaymentStatus, StatusTotal(0, 0))
    for status, count, amount_tyiyn in conn.execute(
        select(payments.c.status, func.count(), func.sum(payments.c.amount_tyiyn))
        .where(payments.c.run_id == run_id)
        .group_by(payments.c.status)
    ):
        totals[PaymentStatus(status)] = StatusTotal(int(count), int(amount_tyiyn))
    return totals
