"""A run's reconciliation report: each recipient paid, returned, unclaimed or rejected
(with the reason), re-paid or not, the totals, the returns, and the ledger transfer id to
check each payment against, as CSV and as JSON. Amounts are integer tyiyn; in JSON,
strings of integers beside the currency.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Final

from digisom.disbursement.model import PaymentStatus, Progress, Return
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
    "attempt",
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
    attempt: int = 0  # 0 = the run's own payment; 1.. = re-payments (`repay`)

    @property
    def repaid(self) -> bool:
        """Paid by a re-payment, after the run's own attempt was unclaimed, refused or returned."""
        return self.status is PaymentStatus.PAID and self.attempt > 0


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """A run's outcome: its identity, totals by status and every recipient's line."""

    run_id: str
    programme_id: str
    period: str
    progress: Progress
    lines: tuple[ReportLine, ...]
    # Every return recorded for the run, also of attempts that were re-paid since.
    returns: tuple[Return, ...] = ()

    def totals_tyiyn(self) -> dict[PaymentStatus, int]:
        """Tyiyn per status (pending, paid, unclaimed, rejected, returned)."""
        totals = dict.fromkeys(PaymentStatus, 0)
        for line in self.lines:
            totals[line.status] += line.amount_tyiyn
        return totals

    def counts(self) -> dict[PaymentStatus, int]:
        """Recipients per status."""
        counts = dict.fromkeys(PaymentStatus, 0)
        for line in self.lines:
            counts[line.status] += 1
        return counts

    def repaid(self) -> tuple[int, int]:
        """(recipients, tyiyn) paid by a re-payment; they are also counted as paid."""
        lines = [line for line in self.lines if line.repaid]
        return len(lines), sum(line.amount_tyiyn for line in lines)


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
                line.attempt,
            )
        )
    return out.getvalue()


def to_json(report: Reconciliation) -> str:
    """The report as a JSON document: run, summary (counts and tyiyn by status) and lines."""
    totals = report.totals_tyiyn()
    counts = report.counts()
    progress = report.progress
    repaid_count, repaid_tyiyn = report.repaid()
    summary: dict[str, dict[str, int | str]] = {
        status.value: {"count": counts[status], "amount_tyiyn": str(totals[status])} for status in PaymentStatus
    }
    summary["repaid"] = {"count": repaid_count, "amount_tyiyn": str(repaid_tyiyn)}
    summary["returns"] = {
        "count": len(report.returns),
        "amount_tyiyn": str(sum(r.amount_tyiyn for r in report.returns)),
    }
    document = {
        "run_id": report.run_id,
        "programme_id": report.programme_id,
        "period": report.period,
        "status": progress.status.value,
        "currency": KGS.code,
        "summary": summary,
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
                "attempt": line.attempt,
            }
            for line in report.lines
        ],
        "returns": [
            {
                "pin": r.pin,
                "attempt": r.attempt,
                "amount_tyiyn": str(r.amount_tyiyn),
                "reason": r.reason,
                "returned_transfer_id": r.returned_transfer_id,
                "transfer_id": r.transfer_id,
            }
            for r in report.returns
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=1)
