"""The published export and its recomputation by an outsider (`digisom vasp-reports recompute`)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from digisom.cli.main import app
from digisom.vasp_reports.export import recompute
from digisom.vasp_reports.service import VaspReports
from tests.vasp_reports.helpers import EXCHANGE, SECOND_EXCHANGE, Registers, pair, report

SUBMITTER = "vasp_operator:-:test"


@pytest.fixture
def published(service: VaspReports, registers: Registers) -> dict[str, Any]:
    for data in (report(), report(vasp_id=SECOND_EXCHANGE, pairs=[pair("BTC", "KGST", 10, 87_500, 1)]),
                 report(version=2, reason="USDKG/USD was in cents", pairs=[pair("USDKG", "USD", 5, 44, 1)])):
        signed, signature = registers.signed(data)
        service.submit(data["vasp_id"], signed, signature, submitted_by=SUBMITTER)
    return service.export("2026-11")


def test_the_export_recomputes_to_the_published_aggregates(published: dict[str, Any]) -> None:
    found = recompute(published)
    assert found.ok and found.reports == 3 and found.problems == []
    month = published["aggregates"][0]
    assert (month["reports"], month["volume_tyiyn"], month["trades"]) == (2, "87544", 2)
    assert [p["base"] + "/" + p["quote"] for p in month["pairs"]] == ["BTC/KGST", "USDKG/USD"]


def test_a_changed_report_fails_its_signature(published: dict[str, Any]) -> None:
    tampered = copy.deepcopy(published)
    tampered["reports"][0]["report"]["customers"] += 1
    assert recompute(tampered).problems == [f"{EXCHANGE} 2026-11 version 1: the signature does not verify under the "
                                            "key given"]


def test_published_aggregates_that_differ_are_named(published: dict[str, Any]) -> None:
    tampered = copy.deepcopy(published)
    tampered["aggregates"][0]["volume_tyiyn"] = "1"
    assert recompute(tampered).problems == ["2026-11: the published aggregates differ from the recomputed ones"]


def test_a_withheld_version_is_named(published: dict[str, Any]) -> None:
    tampered = copy.deepcopy(published)
    del tampered["reports"][0]  # version 1 of the first exchange
    assert any("versions [2]" in problem for problem in recompute(tampered).problems)


def test_the_command_exits_0_when_it_recomputes_and_1_when_not(published: dict[str, Any], tmp_path: Path) -> None:
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(published), encoding="utf-8")
    tampered = copy.deepcopy(published)
    tampered["aggregates"][0]["trades"] = 99
    bad.write_text(json.dumps(tampered), encoding="utf-8")
    result = CliRunner().invoke(app, ["vasp-reports", "recompute", str(good)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ok"] is True
    result = CliRunner().invoke(app, ["vasp-reports", "recompute", str(bad)])
    assert result.exit_code == 1
    assert json.loads(result.stdout)["problems"] == ["2026-11: the published aggregates differ from the recomputed "
                                                     "ones"]


def test_the_command_refuses_a_file_that_is_not_an_export(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"format": "something-else"}', encoding="utf-8")
    result = CliRunner().invoke(app, ["vasp-reports", "recompute", str(path)])
    assert result.exit_code == 2 and "not an export" in result.output


def test_the_canonical_bytes_are_rfc8785(tmp_path: Path) -> None:
    """Keys sorted, no spaces, integers as digits, non-ASCII text as UTF-8 (not escaped)."""
    path = tmp_path / "r.json"
    data = report(version=2, reason="Ошибка: объём ×2", pairs=[pair("BTC", "KGST", 1, 2, 3)],
                  assets=[], customers=5)
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    result = CliRunner().invoke(app, ["vasp-reports", "canonical", str(path)])
    assert result.exit_code == 0
    assert result.stdout_bytes == (
        '{"assets":[],"customers":5,"format":"digisom-vasp-report-v1","pairs":[{"base":"BTC","quote":"KGST",'
        '"trades":3,"volume_base_units":"1","volume_tyiyn":"2"}],"period":"2026-11","reason":"Ошибка: объём ×2",'
        '"totals":{"trades":3,"volume_tyiyn":"2"},"vasp_id":"vasp-ala-too","version":2}').encode()
