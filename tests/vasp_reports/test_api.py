"""/v1/vasps/{vasp_id}/reports and /v1/vasp-reports/...: through the whole app, on SQLite
and PostgreSQL, with the licence and asset ports filled by the test's registers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from digisom.api.runtime import build
from digisom.cli.main import app
from digisom.vasp_reports import csv_format
from digisom.vasp_reports.ports import LicenceStatus
from digisom.vasp_reports.report import parse_report
from tests.api.world import World
from tests.vasp_reports.helpers import EXCHANGE, NOW, SECOND_EXCHANGE, Registers, pair, report, sign

PROBLEMS = "https://digisom.kg/problems/"
REPORTS = f"/v1/vasps/{EXCHANGE}/reports"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path, registers: Registers) -> Iterator[World]:
    db_url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    built = build(data_dir=tmp_path / "data", db_url=db_url, clock=lambda: NOW, vasp_licences=registers.licences,
                  vasp_assets=registers.assets)
    yield World.create(built)
    built.close()


def _body(registers: Registers, data: dict[str, Any]) -> dict[str, Any]:
    signed, signature = registers.signed(data)
    return {"report": signed, "signature": signature.hex()}


def _csv_post(world: World, who: str, path: str, data: bytes, key: str) -> Any:
    headers = world.headers(who, key) | {"Content-Type": "text/csv"}
    return world.client.post(path, content=data, headers=headers)


def test_a_vasp_submits_amends_and_anyone_reads_and_recomputes(world: World, registers: Registers,
                                                               tmp_path: Path) -> None:
    first = world.ok(world.post("vasp", REPORTS, _body(registers, report()), key="nov-1"), 201)
    assert (first["version"], first["late"]) == (1, False)
    again = world.post("vasp", REPORTS, _body(registers, report()), key="nov-1")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    amended = report(version=2, reason="USDKG volume was in cents", pairs=[pair("BTC", "KGST", 1, 8750, 1)])
    world.ok(world.post("vasp", REPORTS, _body(registers, amended)), 201)

    listed = world.ok(world.get(None, REPORTS, period="2026-11"))["items"]
    assert [item["report"]["version"] for item in listed] == [1, 2]
    assert listed[0]["public_key"] == registers.licences.licence(EXCHANGE).public_key.hex()  # type: ignore[union-attr]
    month = world.ok(world.get(None, "/v1/vasp-reports/2026-11/aggregates"))
    assert (month["reports"], month["volume_tyiyn"], month["trades"]) == (1, "8750", 1)

    export = world.ok(world.get(None, "/v1/vasp-reports/2026-11/export"))
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    result = CliRunner().invoke(app, ["vasp-reports", "recompute", str(path)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["aggregates"] == [month]


def test_another_vasps_path_is_not_found_and_stores_nothing(world: World, registers: Registers) -> None:
    response = world.post("other_vasp", REPORTS, _body(registers, report()))
    assert response.status_code == 404 and response.json()["type"] == PROBLEMS + "not-found"
    csv_response = _csv_post(world, "other_vasp", REPORTS + "/csv", b"format,x\n", "c-1")
    assert csv_response.status_code == 404
    assert world.ok(world.get(None, REPORTS))["items"] == []


@pytest.mark.parametrize(("change", "status", "slug"), [
    ({"period": "2026-12"}, 422, "vasp-report-period-refused"),
    ({"totals": {"volume_tyiyn": "1", "trades": 364}}, 422, "vasp-report-sums-mismatch"),
    ({"pairs": [pair("A7A5", "KGS", 1, 1, 1)], "totals": {"volume_tyiyn": "1", "trades": 1}}, 422,
     "vasp-report-asset-refused"),
])
def test_refusals_are_typed_problems(world: World, registers: Registers, change: dict[str, Any], status: int,
                                     slug: str) -> None:
    response = world.post("vasp", REPORTS, _body(registers, report() | change))
    assert response.status_code == status, response.text
    assert response.json()["type"] == PROBLEMS + slug
    assert world.ok(world.get(None, REPORTS))["items"] == []


def test_a_float_amount_is_a_typed_problem_naming_the_field(world: World) -> None:
    data = report(pairs=[pair("BTC", "KGST", 1, 1, 1) | {"volume_tyiyn": 1.5}],
                  totals={"volume_tyiyn": "1", "trades": 1})
    response = world.post("vasp", REPORTS, {"report": data, "signature": "00" * 64})
    assert response.status_code == 422
    assert response.json()["type"] == PROBLEMS + "vasp-report-invalid"
    assert response.json()["errors"][0]["field"] == "pairs.0.volume_tyiyn"


def test_other_keys_signature_and_unlicensed_vasp_are_403(world: World, registers: Registers) -> None:
    data = report()
    forged = world.post("vasp", REPORTS, {"report": data, "signature": sign(registers.keys[SECOND_EXCHANGE],
                                                                             data).hex()})
    assert forged.status_code == 403 and forged.json()["type"] == PROBLEMS + "vasp-report-bad-signature"
    registers.license(EXCHANGE, LicenceStatus.SUSPENDED)
    suspended = world.post("vasp", REPORTS, _body(registers, report()))
    assert suspended.status_code == 403 and suspended.json()["licence_status"] == "suspended"


def test_a_csv_upload_is_stored_and_an_oversized_one_is_413(world: World, registers: Registers) -> None:
    data, signature = registers.signed(report())
    upload = csv_format.to_csv(parse_report(data), signature)
    stored = world.ok(_csv_post(world, "vasp", REPORTS + "/csv", upload, "csv-1"), 201)
    assert stored["version"] == 1
    listed = world.ok(world.get(None, REPORTS))["items"]
    assert [item["channel"] for item in listed] == ["csv"]
    oversized = _csv_post(world, "vasp", REPORTS + "/csv", b"x" * (csv_format.FILE_BYTES_MAX + 1), "csv-2")
    assert oversized.status_code == 413
    wrong_media = world.client.post(REPORTS + "/csv", content=upload, headers=world.headers("vasp", "csv-3"))
    assert wrong_media.status_code == 415


def test_the_registrar_sees_who_has_not_reported(world: World, registers: Registers) -> None:
    world.ok(world.post("vasp", REPORTS, _body(registers, report())), 201)
    status = world.ok(world.get("registrar", "/v1/vasp-reports/2026-11/status"))
    assert (status["reported"], status["missing"], status["late"]) == ([EXCHANGE], [SECOND_EXCHANGE], [])
    assert world.get("vasp", "/v1/vasp-reports/2026-11/status").status_code == 403
    for month in ("0000-01", "9999-12", "2026-13"):  # not a month whose deadline is a date: refused, not a crash
        assert world.get("registrar", f"/v1/vasp-reports/{month}/status").status_code == 422
