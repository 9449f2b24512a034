"""Audits twice a year: an auditor's bar count is imported for an audit date, reconciled
with the register as of that date, signed by the auditor and published (JSON, and an
HTML page rendered from it) with its SHA-256 kept. An audit with findings blocks minting
until the auditor signs a resolution; the next audit falls due six months after the last
signed one (or after the first bar arrived)."""

from __future__ import annotations

import calendar
import hashlib
import html
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

from sqlalchemy import Engine, RowMapping, select
from sqlalchemy.exc import IntegrityError

from digisom.kernel.canonical_json import canonical_json
from digisom.kernel.clock import iso_utc
from digisom.kernel.db_errors import reraise_unless_unique
from digisom.usdkg import signers, signing, tables, units
from digisom.usdkg.errors import AuditDateMismatch, AuditStateConflict, InvalidAmount, UnknownAudit
from digisom.usdkg.model import SignerRole
from digisom.usdkg.reconcile import reconcile
from digisom.usdkg.register import BarRegister
from digisom.usdkg.weight_list import parse_count

AUDIT_INTERVAL_MONTHS: Final = 6
RESOLUTION_CHARS_MAX: Final = 2000


def add_months(day: date, months: int) -> date:
    """`day` plus `months` calendar months, clamped to the month's last day (31 Aug + 6 = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def canonical(document: dict[str, Any]) -> bytes:
    """The published bytes of a report: sorted keys, no spaces, UTF-8."""
    return canonical_json(document).encode()


def signed_body(audit_date: str, report_sha256: str) -> dict[str, str]:
    """What the auditor signs to publish an audit."""
    return {"audit_date": audit_date, "report_sha256": report_sha256}


def resolution_body(audit_date: str, report_sha256: str, resolution: str) -> dict[str, str]:
    """What the auditor signs to resolve an audit's findings."""
    return {"audit_date": audit_date, "report_sha256": report_sha256, "resolution": resolution}


@dataclass(frozen=True, slots=True)
class Audit:
    """An audit as the register keeps it."""

    audit_id: int
    audit_date: date
    auditor: str
    findings: int
    report: bytes
    report_sha256: str
    signed: bool
    resolved: bool
    resolution: str | None


@dataclass(frozen=True, slots=True)
class AuditStanding:
    """Where the audits stand today, as the public figure shows it."""

    last_signed: date | None
    next_due: date | None
    overdue: bool
    unresolved: tuple[date, ...]  # audit dates with findings not resolved


def _audit(row: RowMapping) -> Audit:
    return Audit(
        audit_id=int(row["audit_id"]),
        audit_date=date.fromisoformat(row["audit_date"]),
        auditor=row["auditor"],
        findings=int(row["findings"]),
        report=str(row["report"]).encode(),
        report_sha256=row["report_sha256"],
        signed=row["signed_at"] is not None,
        resolved=row["resolved_at"] is not None,
        resolution=row["resolution"],
    )


class Audits:
    """The audits on the issuer's database, reconciled against `register`."""

    def __init__(self, engine: Engine, register: BarRegister) -> None:
        self._engine = engine
        self._register = register

    def import_count(self, audit_date: date, auditor: str, data: bytes, now: datetime) -> Audit:
        """Import `auditor`'s bar count for `audit_date` and reconcile it; the report stays
        unsigned until `sign`. A row dated otherwise refuses the file, naming the row."""
        if audit_date > now.date():
            raise InvalidAmount(f"the audit date {audit_date} is in the future")
        counted = parse_count(data)
        for count in counted:
            if count.count_date != audit_date.isoformat():
                raise AuditDateMismatch(
                    f"row {count.row}: the bar {count.bar.serial} was counted on {count.count_date!r}, "
                    f"not on the audit date {audit_date}",
                    row=count.row,
                )
        with self._engine.connect() as conn:
            signers.key_of(conn, auditor, SignerRole.AUDITOR)
        register = self._register.as_of(audit_date)
        findings = reconcile(register, {c.bar.serial: c for c in counted})
        in_vault = [bar for bar in register.values() if bar.status.value == "in_vault"]
        report = {
            "audit_date": audit_date.isoformat(),
            "auditor": auditor,
            "count_sha256": hashlib.sha256(data).hexdigest(),
            "bars_counted": len(counted),
            "fine_moz_counted": sum(c.bar.fine_moz for c in counted),
            "bars_in_register": len(in_vault),
            "fine_moz_in_register": sum(bar.fine_moz for bar in in_vault),
            "findings": [finding.as_json() for finding in findings],
        }
        published = canonical(report)
        try:
            with self._engine.begin() as conn:
                taken = conn.execute(
                    select(tables.audits.c.audit_id).where(tables.audits.c.audit_date == audit_date.isoformat())
                ).first()
                if taken is not None:
                    raise AuditStateConflict(f"an audit for {audit_date} exists already")
                inserted = conn.execute(
                    tables.audits.insert().values(
                        audit_date=audit_date.isoformat(),
                        auditor=auditor,
                        imported_at=iso_utc(now),
                        count_sha256=report["count_sha256"],
                        bars_counted=len(counted),
                        findings=len(findings),
                        report=published.decode(),
                        report_sha256=hashlib.sha256(published).hexdigest(),
                    )
                )
                key = inserted.inserted_primary_key
                audit_id = int(key[0]) if key is not None else 0
                if counted:
                    conn.execute(
                        tables.audit_counts.insert(),
                        [
                            {
                                "audit_id": audit_id,
                                "serial": c.bar.serial,
                                "brand": c.bar.brand,
                                "year": c.bar.year,
                                "gross_moz": c.bar.gross_moz,
                                "fineness_tenths": c.bar.fineness_tenths,
                                "fine_moz": c.bar.fine_moz,
                                "vault": c.vault,
                            }
                            for c in counted
                        ],
                    )
        except IntegrityError as error:  # another import of the same date won the race
            reraise_unless_unique(error)
            raise AuditStateConflict(f"an audit for {audit_date} exists already") from error
        return self.audit(audit_id)

    def sign(self, audit_id: int, signature: bytes, now: datetime) -> Audit:
        """Publish the audit under its auditor's signature over `signed_body`."""
        audit = self.audit(audit_id)
        if audit.signed:
            raise AuditStateConflict(f"the audit of {audit.audit_date} is signed already")
        body = signed_body(audit.audit_date.isoformat(), audit.report_sha256)
        with self._engine.begin() as conn:
            signers.check(conn, audit.auditor, SignerRole.AUDITOR, signature, signing.AUDIT_TAG, body)
            conn.execute(
                tables.audits.update()
                .where(tables.audits.c.audit_id == audit_id, tables.audits.c.signed_at.is_(None))
                .values(signature=signature, signed_at=iso_utc(now))
            )
        return self.audit(audit_id)

    def resolve(self, audit_id: int, resolution: str, signature: bytes, now: datetime) -> Audit:
        """Close a signed audit's findings by the auditor's signed resolution (what was
        found and done: the bar located, the register corrected)."""
        audit = self.audit(audit_id)
        if not audit.signed or audit.findings == 0 or audit.resolved:
            raise AuditStateConflict("only a signed audit with open findings can be resolved")
        if not resolution.strip() or len(resolution) > RESOLUTION_CHARS_MAX:
            raise InvalidAmount(f"a resolution is 1-{RESOLUTION_CHARS_MAX} characters")
        body = resolution_body(audit.audit_date.isoformat(), audit.report_sha256, resolution)
        with self._engine.begin() as conn:
            signers.check(conn, audit.auditor, SignerRole.AUDITOR, signature, signing.RESOLUTION_TAG, body)
            conn.execute(
                tables.audits.update()
                .where(tables.audits.c.audit_id == audit_id, tables.audits.c.resolved_at.is_(None))
                .values(resolution=resolution, resolution_signature=signature, resolved_at=iso_utc(now))
            )
        return self.audit(audit_id)

    def audit(self, audit_id: int) -> Audit:
        """One audit."""
        with self._engine.connect() as conn:
            row = conn.execute(select(tables.audits).where(tables.audits.c.audit_id == audit_id)).mappings().first()
        if row is None:
            raise UnknownAudit(f"no audit {audit_id}")
        return _audit(row)

    def all(self) -> list[Audit]:
        """Every audit, oldest first."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(tables.audits).order_by(tables.audits.c.audit_date)).mappings().all()
        return [_audit(row) for row in rows]

    def standing(self, today: date) -> AuditStanding:
        """The last signed audit, the next due date and what is unresolved."""
        audits = self.all()
        signed = [a.audit_date for a in audits if a.signed]
        unresolved = tuple(a.audit_date for a in audits if a.findings and not a.resolved)
        if signed:
            start: date | None = max(signed)
        else:
            first = self._register.first_arrival()
            start = date.fromisoformat(first[:10]) if first is not None else None
        next_due = add_months(start, AUDIT_INTERVAL_MONTHS) if start is not None else None
        return AuditStanding(
            last_signed=max(signed) if signed else None,
            next_due=next_due,
            overdue=next_due is not None and today > next_due,
            unresolved=unresolved,
        )


def render_html(audit: Audit) -> str:
    """The audit's public page: every value from the published JSON, escaped."""
    report = json.loads(audit.report)
    e = html.escape
    rows = "\n".join(
        f"<tr><td>{e(f['serial'])}</td><td>{e(f['kind'])}</td><td>{e(f['register'])}</td><td>{e(f['counted'])}</td></tr>"
        for f in report["findings"]
    )
    status = "signed" if audit.signed else "not signed"
    if audit.findings:
        status += ", findings resolved" if audit.resolved else ", findings open"
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>USDKG gold audit {e(report['audit_date'])}</title></head><body>\n"
        f"<h1>USDKG gold audit of {e(report['audit_date'])}</h1>\n"
        f"<p>Auditor: {e(report['auditor'])}. Status: {e(status)}.</p>\n"
        f"<p>Bars counted: {report['bars_counted']} "
        f"({e(units.format_decimal(report['fine_moz_counted'], 3))} fine oz); in the register: "
        f"{report['bars_in_register']} ({e(units.format_decimal(report['fine_moz_in_register'], 3))} fine oz).</p>\n"
        f"<p>Report SHA-256: <code>{e(audit.report_sha256)}</code></p>\n"
        "<table><thead><tr><th>Serial</th><th>Finding</th><th>Register</th><th>Counted</th></tr></thead>\n"
        f"<tbody>\n{rows}\n</tbody></table>\n</body></html>\n"
    )
