"""Audits: reconciliation as of the audit date, signing, publication, and the mint gate."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import pytest

from digisom.usdkg.audits import add_months, render_html
from digisom.usdkg.errors import AuditDateMismatch, AuditStateConflict, BadSignature, CoverageRefused, RowsRefused
from digisom.usdkg.model import MovementKind
from tests.usdkg.world import PRICE_CENTS_PER_OZ, START, World, bar_row, count_rows, csv_bytes

AUDIT_DAY = date(2026, 3, 31)


def _stock(world: World) -> None:
    world.import_bars(csv_bytes([bar_row(f"KG{i:04d}") for i in range(5)]))
    world.move(MovementKind.WITHDRAW, ["KG0004"], at=START + timedelta(days=1))
    # After the audit date: the register as of the date still has KG0003 in its vault.
    world.move(MovementKind.DISPATCH, ["KG0003"], vault="zurich", at=START + timedelta(days=200))


def test_reconciliation_finds_each_kind_of_difference_as_of_the_audit_date(any_world: World) -> None:
    _stock(any_world)
    counted = [
        bar_row("KG0000"),  # as registered
        bar_row("KG0001", gross_moz=400_100),  # weight differs
        bar_row("KG0002", fineness_tenths=9990),  # fineness (and so fine weight) differs
        # KG0003 missing; KG0004 was withdrawn; KG9999 never registered
        bar_row("KG0004"),
        bar_row("KG9999"),
    ]
    audit = any_world.audits.import_count(
        AUDIT_DAY, "kreston_like", count_rows(counted, "bishkek-1", AUDIT_DAY), START + timedelta(days=90)
    )
    report = json.loads(audit.report)
    found = {(f["serial"], f["kind"]) for f in report["findings"]}
    assert found == {
        ("KG0001", "weight_differs"),
        ("KG0002", "weight_differs"),
        ("KG0002", "fineness_differs"),
        ("KG0003", "missing_bar"),
        ("KG0004", "extra_bar"),
        ("KG9999", "extra_bar"),
    }
    assert audit.report_sha256 == hashlib.sha256(audit.report).hexdigest()
    assert (report["bars_counted"], report["bars_in_register"]) == (5, 4)


def test_a_bar_counted_in_another_vault_is_a_finding(world: World) -> None:
    world.import_bars(csv_bytes([bar_row("KG0001")]))
    audit = world.audits.import_count(
        AUDIT_DAY, "kreston_like", count_rows([bar_row("KG0001")], "zurich", AUDIT_DAY), START + timedelta(days=90)
    )
    assert [f["kind"] for f in json.loads(audit.report)["findings"]] == ["wrong_vault"]


def test_a_count_for_another_date_is_refused_naming_the_row(any_world: World) -> None:
    _stock(any_world)
    rows = [[*bar_row("KG0000"), "bishkek-1", AUDIT_DAY.isoformat()], [*bar_row("KG0001"), "bishkek-1", "2026-03-30"]]
    data = csv_bytes(
        rows, ("Serial number", "Brand", "Gross weight", "Assay", "Fine weight", "Year", "Vault", "Count date")
    )
    with pytest.raises(AuditDateMismatch) as refused:
        any_world.audits.import_count(AUDIT_DAY, "kreston_like", data, START + timedelta(days=90))
    assert refused.value.extensions["row"] == 3
    assert any_world.audits.all() == []
    with pytest.raises(RowsRefused):  # a serial counted twice
        any_world.audits.import_count(
            AUDIT_DAY,
            "kreston_like",
            count_rows([bar_row("KG0000")] * 2, "bishkek-1", AUDIT_DAY),
            START + timedelta(days=90),
        )


def test_findings_stop_minting_until_the_auditor_signs_a_resolution(any_world: World) -> None:
    _stock(any_world)
    now = START + timedelta(days=90)
    any_world.set_price(PRICE_CENTS_PER_OZ, now)
    any_world.coverage.may_mint(1, now)
    data = count_rows([bar_row(f"KG{i:04d}") for i in range(3)], "bishkek-1", AUDIT_DAY)  # KG0003 missing
    audit = any_world.audits.import_count(AUDIT_DAY, "kreston_like", data, now)
    with pytest.raises(CoverageRefused) as refused:
        any_world.coverage.may_mint(1, now)
    assert refused.value.rule == "audit_unresolved"
    with pytest.raises(BadSignature):  # another auditor cannot sign this auditor's report
        any_world.audits.sign(audit.audit_id, any_world.sign_audit(audit.audit_id, signer="other_auditor"), now)
    with pytest.raises(AuditStateConflict):  # not signed yet
        any_world.audits.resolve(audit.audit_id, "found", any_world.sign_resolution(audit.audit_id, "found"), now)
    signed = any_world.audits.sign(audit.audit_id, any_world.sign_audit(audit.audit_id), now)
    assert signed.signed
    with pytest.raises(AuditStateConflict):
        any_world.audits.sign(audit.audit_id, any_world.sign_audit(audit.audit_id), now)
    note = "KG0003 found on the wrong shelf; recounted"
    any_world.audits.resolve(audit.audit_id, note, any_world.sign_resolution(audit.audit_id, note), now)
    any_world.coverage.may_mint(1, now)
    standing = any_world.audits.standing(now.date())
    assert (standing.last_signed, standing.next_due, standing.overdue) == (AUDIT_DAY, date(2026, 9, 30), False)
    with pytest.raises(AuditStateConflict):  # one audit per date
        any_world.audits.import_count(AUDIT_DAY, "kreston_like", data, now)


def test_an_overdue_audit_stops_minting_and_shows_on_the_figure(world: World) -> None:
    world.import_bars(csv_bytes([bar_row("KG0001")]))
    late = START + timedelta(days=200)  # first arrival 2026-01-05, due 2026-07-05
    world.set_price(PRICE_CENTS_PER_OZ, late)
    with pytest.raises(CoverageRefused) as refused:
        world.coverage.may_mint(1, late)
    assert refused.value.rule == "audit_overdue"
    figure = world.coverage.figure(late).as_json()
    assert (figure["audit_overdue"], figure["next_audit_due"]) == (True, "2026-07-05")


def test_the_published_page_escapes_what_the_count_says(world: World) -> None:
    world.import_bars(csv_bytes([bar_row("KG0001")]))
    audit = world.audits.import_count(
        AUDIT_DAY,
        "kreston_like",
        count_rows([bar_row("KG0001")], "<script>x</script>", AUDIT_DAY),
        START + timedelta(days=90),
    )
    page = render_html(audit)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert audit.report_sha256 in page


def test_months_are_added_by_the_calendar() -> None:
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2026, 3, 31), 6) == date(2026, 9, 30)
