"""The CSV upload: it builds exactly the JSON report (one signature serves both); a file
over its limits or not in the format is refused naming the row; nothing is stored."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from digisom.vasp_reports import csv_format
from digisom.vasp_reports.errors import FileTooLarge, InvalidReport, MalformedCsv
from digisom.vasp_reports.report import parse_report
from digisom.vasp_reports.service import VaspReports
from digisom.vasp_reports.tables import versions
from tests.vasp_reports.helpers import EXCHANGE, Registers, pair, report

SUBMITTER = "vasp_operator:-:vasp-ala-too"
SIGNATURE_ROW = "signature," + "ab" * 64


def _csv(registers: Registers, **changes: object) -> bytes:
    data, signature = registers.signed(report(**changes))  # type: ignore[arg-type]
    return csv_format.to_csv(parse_report(data), signature)


def _rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(versions)).scalar_one())


def test_a_csv_report_is_the_json_report_with_the_same_signature(service: VaspReports,
                                                                 registers: Registers) -> None:
    data, signature = registers.signed(report(reason="", customers=7))
    parsed, read_signature = csv_format.parse_csv(csv_format.to_csv(parse_report(data), signature))
    assert parsed == parse_report(data) and read_signature == signature
    stored = service.submit_csv(EXCHANGE, csv_format.to_csv(parsed, signature), submitted_by=SUBMITTER)
    assert stored.channel.value == "csv" and stored.report == parse_report(data)


def test_an_amendment_reason_with_commas_and_quotes_survives(registers: Registers) -> None:
    reason = 'BTC/KGST double-counted, "maker" and "taker" sides'
    parsed, _ = csv_format.parse_csv(_csv(registers, version=2, reason=reason))
    assert parsed.reason == reason


def test_an_oversized_file_is_refused_before_it_is_parsed(service: VaspReports, engine: Engine) -> None:
    with pytest.raises(FileTooLarge) as refused:
        service.submit_csv(EXCHANGE, b"x" * (csv_format.FILE_BYTES_MAX + 1), submitted_by=SUBMITTER)
    assert refused.value.status == 413
    assert _rows(engine) == 0


def test_a_file_with_too_many_rows_is_refused(service: VaspReports) -> None:
    rows = "pair,BTC,KGST,1,1,1\n" * (csv_format.ROWS_MAX + 1)
    with pytest.raises(FileTooLarge, match="rows"):
        service.submit_csv(EXCHANGE, rows.encode(), submitted_by=SUBMITTER)


@pytest.mark.parametrize(("text", "message"), [
    ("report,vasp-ala-too,2026-11,1,,5\n", "row 1 must be: format"),
    ("format,digisom-vasp-report-v2\n", "row 1 must be: format"),
    ("format,digisom-vasp-report-v1\ntrade,BTC,KGST\n" + SIGNATURE_ROW, "row 2: unknown record kind 'trade'"),
    ("format,digisom-vasp-report-v1\npair,BTC,KGST,1\n" + SIGNATURE_ROW, "row 2: a pair row has 5 columns"),
    ("format,digisom-vasp-report-v1\npair,BTC,KGST,1,1,1,surplus\n" + SIGNATURE_ROW, "row 2: a pair row"),
    ("format,digisom-vasp-report-v1\ntotals,0,0\n" + SIGNATURE_ROW, "0 report rows"),
    ("format,digisom-vasp-report-v1\nreport,vasp-ala-too,2026-11,1,,5\ntotals,0,0\n", "the last row"),
    ("format,digisom-vasp-report-v1\nreport,vasp-ala-too,2026-11,1,,5\ntotals,0,0\nsignature,zz\n",
     "row 4: the signature"),
    ('format,digisom-vasp-report-v1\nreport,"unterminated\n', "not valid CSV"),
])
def test_a_malformed_csv_is_refused_naming_the_row(service: VaspReports, engine: Engine, text: str,
                                                   message: str) -> None:
    with pytest.raises(MalformedCsv, match=message):
        service.submit_csv(EXCHANGE, text.encode(), submitted_by=SUBMITTER)
    assert _rows(engine) == 0


def test_a_file_not_utf8_is_refused(service: VaspReports) -> None:
    with pytest.raises(MalformedCsv, match="not UTF-8"):
        service.submit_csv(EXCHANGE, b"format,\xff\n", submitted_by=SUBMITTER)


@pytest.mark.parametrize(("cell", "field"), [("1.5", "pairs.0.trades"), ("-2", "pairs.0.trades"),
                                             ("", "pairs.0.trades")])
def test_a_count_that_is_not_a_whole_number_is_refused_with_its_row(registers: Registers, cell: str,
                                                                    field: str) -> None:
    text = _csv(registers, pairs=[pair("BTC", "KGST", 1, 1, 1)]).decode()
    text = text.replace("pair,BTC,KGST,1,1,1", f"pair,BTC,KGST,1,1,{cell}")
    with pytest.raises(InvalidReport) as refused:
        csv_format.parse_csv(text.encode())
    assert {"field": field, "row": 3} == {k: refused.value.errors[0][k] for k in ("field", "row")}


def test_an_amount_with_a_fraction_is_refused_with_its_row(registers: Registers) -> None:
    text = _csv(registers).decode().replace("asset,BTC,200000000,", "asset,BTC,2000000.5,")
    with pytest.raises(InvalidReport) as refused:
        csv_format.parse_csv(text.encode())
    assert refused.value.errors[0]["field"] == "assets.0.deposits_units"
    assert refused.value.errors[0]["row"] == 6
