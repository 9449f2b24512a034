"""The daily coverage report (JSON and CSV), kept once per day with its SHA-256, and the
public figure: what anyone may read about the reserve without authentication."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from digisom.kernel.canonical_json import canonical_json
from digisom.kernel.clock import iso_utc
from digisom.kernel.db_errors import reraise_unless_unique
from digisom.usdkg import tables
from digisom.usdkg.coverage import CoverageFigure

PUBLIC_FIELDS = (
    "at",
    "fine_moz",
    "price_cents_per_oz",
    "price_as_of",
    "price_stale",
    "reserve_value_cents",
    "supply_units",
    "chains",
    "coverage_bps",
    "floor_bps",
    "last_audit",
    "next_audit_due",
    "audit_overdue",
    "audits_unresolved",
)


@dataclass(frozen=True, slots=True)
class DailyReport:
    """A day's report as published."""

    report_date: str
    json_bytes: bytes
    sha256: str

    def as_csv(self) -> str:
        """The report as CSV: one `field,value` line per figure, one per chain's supply."""
        document = json.loads(self.json_bytes)
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("field", "value"))
        for name, value in document.items():
            if name == "supply_units_by_chain":
                for chain, supply in value.items():
                    writer.writerow((f"supply_units_chain_{chain}", supply))
            elif isinstance(value, list):
                writer.writerow((name, " ".join(value)))
            else:
                writer.writerow(
                    (name, "" if value is None else str(value).lower() if isinstance(value, bool) else value)
                )
        return out.getvalue()


def public_figure(figure: CoverageFigure) -> dict[str, object]:
    """The public figure: coverage, the audits' standing (overdue shown), no chain detail."""
    document = figure.as_json()
    return {name: document[name] for name in PUBLIC_FIELDS}


def report_bytes(figure: CoverageFigure) -> bytes:
    """A daily report's published bytes: the figure as canonical JSON, ASCII only."""
    return canonical_json(figure.as_json(), ascii_only=True).encode()


def publish_daily(engine: Engine, figure: CoverageFigure, now: datetime) -> DailyReport:
    """Keep `figure` as the report of its day; a day already reported keeps its first
    report (a published report is never rewritten) and that one is returned."""
    report_date = figure.at.date().isoformat()
    published = report_bytes(figure)
    digest = hashlib.sha256(published).hexdigest()
    try:
        with engine.begin() as conn:
            conn.execute(
                tables.coverage_reports.insert().values(
                    report_date=report_date, created_at=iso_utc(now), report=published.decode(), report_sha256=digest
                )
            )
    except IntegrityError as error:
        reraise_unless_unique(error)
        return daily_report(engine, report_date)
    return DailyReport(report_date, published, digest)


def daily_report(engine: Engine, report_date: str) -> DailyReport:
    """The report kept for `report_date` (KeyError if none)."""
    with engine.connect() as conn:
        row = (
            conn.execute(select(tables.coverage_reports).where(tables.coverage_reports.c.report_date == report_date))
            .mappings()
            .first()
        )
    if row is None:
        raise KeyError(report_date)
    return DailyReport(row["report_date"], str(row["report"]).encode(), row["report_sha256"])
