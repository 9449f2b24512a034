"""Submitting a report: every refusal is typed, names its cause and stores nothing; the
signature is checked before any business rule; versions are appended, never replaced."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from digisom.vasp_reports import repository
from digisom.vasp_reports.errors import (
    AssetRefused,
    BadSignature,
    InvalidReport,
    NotLicensed,
    PeriodRefused,
    SumsMismatch,
    VersionConflict,
)
from digisom.vasp_reports.model import Channel, StoredVersion
from digisom.vasp_reports.ports import LicenceStatus
from digisom.vasp_reports.report import parse_report
from digisom.vasp_reports.service import VaspReports
from digisom.vasp_reports.tables import versions
from tests.vasp_reports.conftest import Clock
from tests.vasp_reports.helpers import EXCHANGE, SECOND_EXCHANGE, Registers, pair, report, sign

SUBMITTER = "vasp_operator:-:vasp-ala-too"


def _rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(versions)).scalar_one())


def _submit(service: VaspReports, registers: Registers, data: dict[str, Any]) -> Any:
    signed, signature = registers.signed(data)
    return service.submit(data["vasp_id"], signed, signature, submitted_by=SUBMITTER)


def test_a_signed_report_is_stored_as_version_1_on_time(service: VaspReports, registers: Registers) -> None:
    stored = _submit(service, registers, report())
    assert stored.key == (EXCHANGE, "2026-11", 1)
    assert not stored.late
    assert stored.public_key == registers.licences.licence(EXCHANGE).public_key  # type: ignore[union-attr]
    assert [v.key for v in service.versions(EXCHANGE)] == [(EXCHANGE, "2026-11", 1)]


@pytest.mark.parametrize("status", [LicenceStatus.SUSPENDED, LicenceStatus.REVOKED, LicenceStatus.NONE])
def test_a_vasp_not_licensed_is_refused_naming_its_status(service: VaspReports, registers: Registers,
                                                          engine: Engine, status: LicenceStatus) -> None:
    registers.license(EXCHANGE, status)
    with pytest.raises(NotLicensed) as refused:
        _submit(service, registers, report())
    assert refused.value.extensions == {"vasp_id": EXCHANGE, "licence_status": status.value}
    assert _rows(engine) == 0


def test_a_vasp_with_no_licence_at_all_is_refused(service: VaspReports, registers: Registers, engine: Engine) -> None:
    registers.keys["vasp-unlicensed"] = registers.keys[EXCHANGE]
    data = report(vasp_id="vasp-unlicensed")
    with pytest.raises(NotLicensed, match="licence status: none"):
        service.submit("vasp-unlicensed", data, sign(registers.keys[EXCHANGE], data), submitted_by=SUBMITTER)
    assert _rows(engine) == 0


def test_a_report_signed_by_another_key_is_refused(service: VaspReports, registers: Registers,
                                                   engine: Engine) -> None:
    data = report()
    with pytest.raises(BadSignature) as refused:
        service.submit(EXCHANGE, data, sign(registers.keys[SECOND_EXCHANGE], data), submitted_by=SUBMITTER)
    assert refused.value.extensions["vasp_id"] == EXCHANGE
    assert _rows(engine) == 0


def test_the_signature_is_checked_before_any_business_rule(service: VaspReports, registers: Registers) -> None:
    """A report with wrong sums, a future period and a delisted asset, not signed by its
    VASP: the answer is the signature, so an unsigned caller learns nothing of the rules."""
    data = report(period="2027-05", pairs=[pair("A7A5", "KGS", 1, 1, 1)], totals={"volume_tyiyn": "9", "trades": 9})
    with pytest.raises(BadSignature):
        service.submit(EXCHANGE, data, sign(registers.keys[SECOND_EXCHANGE], data), submitted_by=SUBMITTER)


def test_a_changed_report_no_longer_verifies(service: VaspReports, registers: Registers) -> None:
    data, signature = registers.signed(report())
    data["customers"] += 1
    with pytest.raises(BadSignature):
        service.submit(EXCHANGE, data, signature, submitted_by=SUBMITTER)


@pytest.mark.parametrize(("period", "rule"), [("2026-12", "not_over"), ("2027-01", "not_over"),
                                              ("2025-12", "before_licence")])
def test_a_period_not_over_or_before_the_licence_is_refused(service: VaspReports, registers: Registers,
                                                            engine: Engine, period: str, rule: str) -> None:
    with pytest.raises(PeriodRefused) as refused:
        _submit(service, registers, report(period=period))
    assert refused.value.extensions == {"period": period, "rule": rule}
    assert _rows(engine) == 0


def test_the_licence_month_itself_can_be_reported(service: VaspReports, registers: Registers) -> None:
    assert _submit(service, registers, report(period="2026-01")).key[1] == "2026-01"


@pytest.mark.parametrize(("totals", "wrong"), [
    ({"volume_tyiyn": "1", "trades": 364}, {"volume_tyiyn": {"declared": "1", "sum": "175850000000"}}),
    ({"volume_tyiyn": "175850000000", "trades": 365}, {"trades": {"declared": "365", "sum": "364"}}),
])
def test_declared_totals_must_equal_the_sum_of_the_lines(service: VaspReports, registers: Registers,
                                                         engine: Engine, totals: dict[str, Any],
                                                         wrong: dict[str, Any]) -> None:
    with pytest.raises(SumsMismatch) as refused:
        _submit(service, registers, report(totals=totals))
    assert refused.value.extensions == {"totals": wrong}
    assert _rows(engine) == 0


@pytest.mark.parametrize(("symbol", "state"), [("A7A5", "delisted"), ("DOGE", "unknown")])
def test_a_pair_naming_a_delisted_or_unknown_asset_is_refused(service: VaspReports, registers: Registers,
                                                              engine: Engine, symbol: str, state: str) -> None:
    with pytest.raises(AssetRefused) as refused:
        _submit(service, registers, report(pairs=[pair(symbol, "KGS", 10, 10, 1)]))
    assert refused.value.extensions == {"assets": {symbol: state}}
    assert _rows(engine) == 0


def test_a_suspended_asset_and_fiat_currencies_may_be_reported(service: VaspReports, registers: Registers) -> None:
    _submit(service, registers, report(pairs=[pair("ETH", "USD", 10, 10, 1)], assets=[]))


@pytest.mark.parametrize(("change", "field"), [
    ({"customers": 1.5}, "customers"),
    ({"customers": -1}, "customers"),
    ({"version": 1.0}, "version"),
    ({"extra": "x"}, "extra"),
    ({"period": "2026-13"}, "period"),
    ({"period": "2026-1"}, "period"),
    ({"period": "0000-01"}, "period"),
    ({"period": "9999-12"}, "period"),
    ({"reason": "amended"}, "reason"),
])
def test_a_report_breaking_the_schema_is_refused_by_field(service: VaspReports, registers: Registers,
                                                          change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidReport) as refused:
        service.submit(EXCHANGE, report() | change, bytes(64), submitted_by=SUBMITTER)
    assert field in [e["field"] for e in refused.value.errors]


@pytest.mark.parametrize("amount", [1.5, "1.5", "-3", "1e3", 1000, "01", " 5"])
def test_amounts_are_strings_of_non_negative_integers(service: VaspReports, amount: Any) -> None:
    line = pair("BTC", "KGST", 1, 1, 1) | {"volume_tyiyn": amount}
    with pytest.raises(InvalidReport) as refused:
        service.submit(EXCHANGE, report(pairs=[line], totals={"volume_tyiyn": "1", "trades": 1}), bytes(64),
                       submitted_by=SUBMITTER)
    assert refused.value.errors[0]["field"] == "pairs.0.volume_tyiyn"


def test_pairs_out_of_order_or_twice_are_refused(service: VaspReports) -> None:
    twice = [pair("BTC", "KGST", 1, 1, 1), pair("BTC", "KGST", 1, 1, 1)]
    with pytest.raises(InvalidReport, match="strictly increasing"):
        service.submit(EXCHANGE, report(pairs=twice), bytes(64), submitted_by=SUBMITTER)


def test_a_report_for_another_vasp_than_the_path_is_refused(service: VaspReports, registers: Registers) -> None:
    data, signature = registers.signed(report(vasp_id=SECOND_EXCHANGE))
    with pytest.raises(InvalidReport, match="vasp_id"):
        service.submit(EXCHANGE, data, signature, submitted_by=SUBMITTER)


def test_an_amendment_is_version_2_and_never_overwrites(service: VaspReports, registers: Registers) -> None:
    first = _submit(service, registers, report())
    amended = _submit(service, registers, report(version=2, reason="BTC volume double-counted",
                                                 pairs=[pair("BTC", "KGST", 75_000_000, 65_625_000_000, 21)]))
    found = service.versions(EXCHANGE, "2026-11")
    assert [v.key for v in found] == [first.key, amended.key]
    assert found[0].report == first.report and found[1].report.reason == "BTC volume double-counted"
    assert service.aggregates("2026-11")["volume_tyiyn"] == "65625000000"  # the latest counts


@pytest.mark.parametrize("version", [1, 3])
def test_a_version_not_the_next_is_a_conflict(service: VaspReports, registers: Registers, engine: Engine,
                                              version: int) -> None:
    _submit(service, registers, report())
    with pytest.raises(VersionConflict) as refused:
        _submit(service, registers, report(version=version, reason="" if version == 1 else "again"))
    assert refused.value.extensions == {"expected_version": 2}
    assert _rows(engine) == 1


def test_the_table_refuses_updates_and_deletes(service: VaspReports, registers: Registers, engine: Engine) -> None:
    """The database's own check, whatever the code does: the triggers of migration 1."""
    _submit(service, registers, report())
    statements = ["UPDATE vasp_reports_versions SET late = 1", "UPDATE vasp_reports_versions SET report = '{}'",
                  "DELETE FROM vasp_reports_versions"]
    if engine.dialect.name == "postgresql":
        statements.append("TRUNCATE vasp_reports_versions")
    for statement in statements:
        with pytest.raises(DBAPIError, match="vasp_reports_versions is append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert _rows(engine) == 1


def test_the_table_refuses_a_version_that_skips_one(engine: Engine) -> None:
    """Version n+1 must name version n, which must exist (the self-reference)."""
    row = {"vasp_id": EXCHANGE, "period": "2026-11", "version": 2, "supersedes": 1, "reason": "x", "report": "{}",
           "report_sha256": "0" * 64, "signature": bytes(64), "public_key": bytes(32), "channel": "api",
           "submitted_by": SUBMITTER, "received_at": "2026-12-07T09:00:00.000000Z", "late": 0}
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(versions.insert().values(**row))


def _stored(version: int, reason: str = "") -> StoredVersion:
    return StoredVersion(parse_report(report(version=version, reason=reason)), bytes(64), bytes(32), Channel.API,
                         SUBMITTER, "2026-12-07T09:00:00.000000Z", False)


def test_a_version_stored_meanwhile_is_a_conflict_naming_the_next(engine: Engine) -> None:
    """The primary key's answer to a concurrent submission of the same version."""
    with engine.begin() as conn:
        repository.insert(conn, _stored(1))
    with pytest.raises(VersionConflict) as refused, engine.begin() as conn:
        repository.insert(conn, _stored(1))
    assert refused.value.extensions == {"expected_version": 2}


def test_a_version_the_table_refuses_is_raised_not_taken_for_a_conflict(engine: Engine) -> None:
    """Version 2 with no version 1 breaks the self-reference: the code's bug, not a race."""
    with pytest.raises(IntegrityError), engine.begin() as conn:
        repository.insert(conn, _stored(2, reason="a correction"))
    assert _rows(engine) == 0


def test_a_report_after_the_due_day_is_late_and_listed(service: VaspReports, registers: Registers,
                                                       clock: Clock) -> None:
    registers.license("vasp-tardy", licensed_from=date(2026, 6, 1))
    registers.license("vasp-new", licensed_from=date(2026, 12, 1))  # not expected for November
    _submit(service, registers, report())
    before = service.status("2026-11")
    assert before["missing"] == ["vasp-issyk", "vasp-tardy"] and not before["overdue"]
    # 15 December 23:59 in Bishkek is 17:59 UTC: on time; 18:00 UTC is 16 December there.
    clock.now = datetime(2026, 12, 15, 17, 59, 59, tzinfo=UTC)
    assert not _submit(service, registers, report(vasp_id=SECOND_EXCHANGE)).late
    clock.now = datetime(2026, 12, 15, 18, 0, tzinfo=UTC)
    assert _submit(service, registers, report(vasp_id="vasp-tardy")).late
    after = service.status("2026-11")
    assert after == {"period": "2026-11", "due_at": "2026-12-15T18:00:00.000000Z", "expected": 3,
                     "reported": [EXCHANGE, SECOND_EXCHANGE, "vasp-tardy"], "missing": [], "overdue": True,
                     "late": ["vasp-tardy"]}
