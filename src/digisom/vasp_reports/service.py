"""`VaspReports`: submitting, reading and publishing the monthly volume reports.

A submission runs its checks in this order, and stores only if all pass, in one
transaction (one row): the report's shape (to have the bytes that were signed); the VASP's
licence (licensed, not suspended or revoked); the signature under the licence key; then
the period, the sums, the assets and the version. So nothing is stored, and no business
rule answers, for a report its VASP did not sign."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from digisom.kernel.clock import iso_utc
from digisom.vasp_reports import csv_format, export, repository, rules
from digisom.vasp_reports.errors import InvalidReport, VersionConflict
from digisom.vasp_reports.model import Channel, StoredVersion
from digisom.vasp_reports.periods import Period, ReportingPolicy, due_at, is_late
from digisom.vasp_reports.ports import AssetStatus, Licences, LicenceStatus
from digisom.vasp_reports.report import Report, parse_report, symbols


class VaspReports:
    """The volume reports on `engine` (migrated), reading licences and assets through their ports."""

    def __init__(self, engine: Engine, licences: Licences, assets: AssetStatus, clock: Callable[[], datetime],
                 policy: ReportingPolicy | None = None) -> None:
        self.engine = engine
        self.licences = licences
        self.assets = assets
        self.clock = clock
        self.policy = policy or ReportingPolicy()

    def submit(self, vasp_id: str, data: Any, signature: bytes, *, submitted_by: str) -> StoredVersion:
        """Check and append `vasp_id`'s report `data` (parsed JSON) signed with `signature`."""
        return self._submit(vasp_id, parse_report(data), signature, submitted_by, Channel.API)

    def submit_csv(self, vasp_id: str, data: bytes, *, submitted_by: str) -> StoredVersion:
        """Check and append `vasp_id`'s report in a CSV upload (`csv_format`)."""
        report, signature = csv_format.parse_csv(data)
        return self._submit(vasp_id, report, signature, submitted_by, Channel.CSV)

    def _submit(self, vasp_id: str, report: Report, signature: bytes, submitted_by: str,
                channel: Channel) -> StoredVersion:
        if report.vasp_id != vasp_id:
            raise InvalidReport([{"field": "vasp_id", "rule": "vasp_id",
                                  "detail": f"the report is {report.vasp_id}'s, submitted as {vasp_id}'s"}])
        licence = rules.licence_of(self.licences, report.vasp_id)
        rules.check_signature(licence, report, signature)
        now = self.clock()
        period = rules.check_period(report, licence, now, self.policy)
        rules.check_sums(report)
        rules.check_assets(symbols(report), self.assets)
        stored = StoredVersion(report, signature, licence.public_key, channel, submitted_by, iso_utc(now),
                               is_late(period, now, self.policy))
        with self.engine.begin() as conn:
            expected = repository.latest_version(conn, report.vasp_id, report.period) + 1
            if report.version != expected:
                raise VersionConflict(
                    f"{report.vasp_id}'s {report.period} report is at version {expected - 1}: the next is "
                    f"{expected} (an amendment, with a reason)", expected_version=expected)
            repository.insert(conn, stored)
        return stored

    def versions(self, vasp_id: str, period: str | None = None) -> list[StoredVersion]:
        """Every version of `vasp_id`'s reports (of `period`, if given), by period then version."""
        with self.engine.connect() as conn:
            return repository.of_vasp(conn, vasp_id, period)

    def aggregates(self, period: str) -> dict[str, Any]:
        """The published aggregates of `period` (from each VASP's latest version)."""
        document: dict[str, Any] = self.export(period)["aggregates"][0]
        return document

    def export(self, period: str) -> dict[str, Any]:
        """The published export of `period`: every version, each with its signature and key,
        and the aggregates (`digisom vasp-reports recompute` checks it)."""
        with self.engine.connect() as conn:
            stored = repository.of_period(conn, period)
        return export.export_json([period], stored)

    def status(self, period: str) -> dict[str, Any]:
        """For the registrar: who was expected to report `period` (licensed now, from that
        month or earlier), who has not, who reported late, and the deadline."""
        month = Period.parse(period)
        with self.engine.connect() as conn:
            stored = repository.of_period(conn, period)
        first = {v.report.vasp_id: v for v in stored if v.report.version == 1}
        expected = sorted(licence.vasp_id for licence in self.licences.licences()
                          if licence.status is LicenceStatus.LICENSED and Period.of(licence.licensed_from) <= month)
        deadline = due_at(month, self.policy)
        overdue = self.clock() >= deadline
        return {
            "period": period,
            "due_at": iso_utc(deadline),
            "expected": len(expected),
            "reported": sorted(first),
            "missing": [vasp_id for vasp_id in expected if vasp_id not in first],
            "overdue": overdue,
            "late": sorted(vasp_id for vasp_id, version in first.items() if version.late),
        }
