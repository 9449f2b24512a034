"""Reads and the one write of the report versions' table."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Row, func, select
from sqlalchemy.exc import IntegrityError

from digisom.kernel.db_errors import reraise_unless_unique
from digisom.vasp_reports.errors import VersionConflict
from digisom.vasp_reports.model import Channel, StoredVersion
from digisom.vasp_reports.report import Report, canonical_bytes
from digisom.vasp_reports.tables import versions


def latest_version(conn: Connection, vasp_id: str, period: str) -> int:
    """The highest version stored for (VASP, period); 0 if none."""
    query = select(func.max(versions.c.version)).where(versions.c.vasp_id == vasp_id, versions.c.period == period)
    found = conn.execute(query).scalar_one()
    return int(found or 0)


def insert(conn: Connection, stored: StoredVersion) -> None:
    """Append `stored`; `VersionConflict` if that version exists already (a concurrent
    submission took it: the primary key says no, whatever the code checked first)."""
    report = stored.report
    body = canonical_bytes(report)
    try:
        with conn.begin_nested():
            conn.execute(versions.insert().values(
                vasp_id=report.vasp_id, period=report.period, version=report.version,
                supersedes=report.version - 1 if report.version > 1 else None, reason=report.reason,
                report=body.decode("utf-8"), report_sha256=hashlib.sha256(body).hexdigest(),
                signature=stored.signature, public_key=stored.public_key, channel=stored.channel.value,
                submitted_by=stored.submitted_by, received_at=stored.received_at, late=int(stored.late)))
    except IntegrityError as error:
        reraise_unless_unique(error)
        raise VersionConflict(f"version {report.version} of {report.vasp_id}'s {report.period} report exists "
                              "already", expected_version=latest_version(conn, report.vasp_id, report.period) + 1
                              ) from None


def _stored(row: Row[Any]) -> StoredVersion:
    # The stored text passed the schema when it was received; it is read back as it was signed.
    return StoredVersion(Report.model_validate(json.loads(row.report)), bytes(row.signature), bytes(row.public_key),
                         Channel(row.channel), row.submitted_by, row.received_at, bool(row.late))


def of_vasp(conn: Connection, vasp_id: str, period: str | None = None) -> list[StoredVersion]:
    """Every version of `vasp_id`'s reports (of `period` only, if given), by period then version."""
    query = select(versions).where(versions.c.vasp_id == vasp_id)
    if period is not None:
        query = query.where(versions.c.period == period)
    rows = conn.execute(query.order_by(versions.c.period, versions.c.version)).all()
    return [_stored(row) for row in rows]


def of_period(conn: Connection, period: str) -> Sequence[StoredVersion]:
    """Every version of every VASP's report for `period`, by VASP then version."""
    query = select(versions).where(versions.c.period == period).order_by(versions.c.vasp_id, versions.c.version)
    return [_stored(row) for row in conn.execute(query).all()]
