"""A run's reconciliation report: each recipient paid, unclaimed or rejected (with the
reason), the totals, and the ledger transfer id to check each payment against, as CSV
and as JSON. Amounts are integer tyiyn; in JSON, strings of integers beside the currency.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Final

from digisom.disbursement.model import PaymentStatus, Progress
from digisom.money import KGS

CSV_COLUMNS: Final = (
    "line",
    "pin",
    "name",
    "region",
    "amount_tyiyn",
    "status",
    "channel",
    "reason",
    "transfer_id",
)


@dataclass(frozen=True, slots=True)
class ReportLine:
    """One recipient's outcome."""

    line: int
    pin: str
    name: str
    region: str
    amount_tyiyn: int
    status: PaymentStatus
    channel: str
    reason: str
    transfer_id: str  # hex; empty for a payment that never reached the ledger


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """A run's outcome: its identity, totals by status and every recipient's line."""

    run_id: str
    programme_id: str
    period: str
    progress: Progress
    lines: tuple[ReportLine, ...]

    def totals_tyiyn(self) -> dict[PaymentStatus, int]:
        """Tyiyn per status (pending, paid, unclaimed, rejected)."""
        totals = dict.fromkeys(PaymentStatus, 0)
        for line in self.lines:
            totals[line.status] += line.amount_tyiyn
        return totals


def to_csv(report: Reconciliation) -> str:
    """One row per recipient, in file order, with a header."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in report.lines:
        writer.writerow(
            (
                line.line,
                line.pin,
                line.name,
                line.region,
                line.amount_tyiyn,
                line.status.value,
                line.channel,
                line.reason,
                line.transfer_id,
            )
        )
    return out.getvalue()


def to_json(report: Reconciliation) -> str:
    """The report as a JSON document: run, summary (counts and tyiyn by status) and lines."""
    totals = report.totals_tyiyn()
    progress = report.progress
    counts = {
        PaymentStatus.PENDING: progress.pending,
        PaymentStatus.PAID: progress.paid,
        PaymentStatus.UNCLAIMED: progress.unclaimed,
        PaymentStatus.REJECTED: progress.rejected,
    }
    document = {
        "run_id": report.run_id,
        "programme_id": report.programme_id,
        "period": report.period,
        "status": progress.status.value,
        "currency": KGS.code,
        "summary": {
            status.value: {"count": counts[status], "amount_tyiyn": str(totals[status])} for status in PaymentStatus
        },
        "lines": [
            {
                "line": line.line,
                "pin": line.pin,
                "name": line.name,
                "region": line.region,
                "amount_tyiyn": str(line.amount_tyiyn),
                "status": line.status.value,
                "channel": line.channel,
                "reason": line.reason,
                "transfer_id": line.transfer_id,
            }
            for line in report.lines
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1)
