"""pain.001 input: the same rows and the same row-level refusals as CSV."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from digisom.disbursement import pain001, tables
from digisom.disbursement.model import FileFormat
from digisom.disbursement.pain001 import check_pain001, parse_pain001, schema
from digisom.disbursement.parsing import FILE_LEVEL_LINE, FileRefused, Reason
from digisom.disbursement.ports import Channel, Destination
from digisom.ledger.service import Ledger
from tests.disbursement.directory import FakeDirectory
from tests.disbursement.test_execute import TREASURY_SUPERVISOR, build, pin

PENSIONER = "21203195000123"
WIDOW = "11505196000456"
NS_PREFIX = "urn:iso:std:iso:20022:tech:xsd:pain.001.001."


def transaction(pin_: str, amount: str, currency: str = "KGS", name: str = "Pensioner") -> str:
    return f"""
      <CdtTrfTxInf>
        <PmtId><EndToEndId>E2E-{pin_}</EndToEndId></PmtId>
        <Amt><InstdAmt Ccy="{currency}">{amount}</InstdAmt></Amt>
        <Cdtr>
          <Nm>{name}</Nm>
          <PstlAdr><CtrySubDvsn>Naryn</CtrySubDvsn></PstlAdr>
          <Id><PrvtId><Othr><Id>{pin_}</Id></Othr></PrvtId></Id>
        </Cdtr>
      </CdtTrfTxInf>"""


def document(
    *transactions: str, count: int | None = None, control_sum: str | None = None, version: str = "09"
) -> bytes:
    """A schema-valid pain.001.001.09 (or .03) Document holding `transactions`."""
    count_xml = f"<NbOfTxs>{len(transactions) if count is None else count}</NbOfTxs>"
    sum_xml = f"<CtrlSum>{control_sum}</CtrlSum>" if control_sum is not None else ""
    # .09 wraps the execution date in a choice of date or date-time; .03 does not.
    date_xml = "<Dt>2026-11-25</Dt>" if version == "09" else "2026-11-25"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{NS_PREFIX}{version}">
  <CstmrCdtTrfInitn>
    <GrpHdr><MsgId>PENSIONS-2026-11</MsgId><CreDtTm>2026-11-23T10:00:00</CreDtTm>{count_xml}{sum_xml}
      <InitgPty><Nm>Treasury</Nm></InitgPty></GrpHdr>
    <PmtInf>
      <PmtInfId>PENSIONS</PmtInfId><PmtMtd>TRF</PmtMtd><ReqdExctnDt>{date_xml}</ReqdExctnDt>
      <Dbtr><Nm>Treasury</Nm></Dbtr>
      <DbtrAcct><Id><Othr><Id>TREASURY-PENSIONS</Id></Othr></Id></DbtrAcct>
      <DbtrAgt><FinInstnId><Othr><Id>NBKR</Id></Othr></FinInstnId></DbtrAgt>
      {"".join(transactions)}
    </PmtInf>
  </CstmrCdtTrfInitn>
</Document>""".encode()


def directory() -> FakeDirectory:
    return FakeDirectory({PENSIONER: Destination(Channel.WALLET, 101), WIDOW: Destination(Channel.NONE)})


@pytest.mark.parametrize("version", ["09", "03"])
def test_a_good_batch(version: str) -> None:
    data = document(
        transaction(PENSIONER, "8500.50"),
        transaction(WIDOW, "7000", name="Widow"),
        control_sum="15500.50",
        version=version,
    )
    assert schema(version).is_valid(data.decode())
    rows = check_pain001(data, directory(), budget_remaining_tyiyn=10_000_000)
    assert [(r.row.line, r.row.pin, r.row.amount_tyiyn, r.row.name, r.row.region) for r in rows] == [
        (1, PENSIONER, 850_050, "Pensioner", "Naryn"),
        (2, WIDOW, 700_000, "Widow", "Naryn"),
    ]


def test_bad_transactions_are_reported_each() -> None:
    data = document(
        transaction(PENSIONER, "1"),
        transaction(PENSIONER, "2"),
        transaction(WIDOW, "3", currency="USD"),
        transaction("29999199900000", "4"),
        transaction(WIDOW, "0"),
        count=9,
    )
    with pytest.raises(FileRefused) as refused:
        check_pain001(data, directory(), budget_remaining_tyiyn=10_000_000)
    assert [(e.line, e.reason) for e in refused.value.report.errors] == [
        (FILE_LEVEL_LINE, Reason.CONTROL_SUM_MISMATCH),
        (2, Reason.DUPLICATE_PIN),
        (3, Reason.WRONG_CURRENCY),
        (4, Reason.UNKNOWN_PIN),
        (5, Reason.NON_POSITIVE_AMOUNT),
    ]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not xml", Reason.NOT_XML),
        (b'<!DOCTYPE d [<!ENTITY a "aaaa">]><d>&a;</d>', Reason.NOT_XML),
        (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"/>', Reason.NOT_PAIN001),
        (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.11"/>', Reason.NOT_PAIN001),
        (document(transaction(PENSIONER, "1"), control_sum="2"), Reason.CONTROL_SUM_MISMATCH),
    ],
)
def test_file_level_problems(data: bytes, reason: Reason) -> None:
    assert [e.reason for e in parse_pain001(data)[1]] == [reason]


def test_a_pain001_run_is_paid_like_a_csv_one(engine: Engine, ledger: Ledger) -> None:
    service, _ = build(engine, ledger)
    data = document(transaction(pin(1), "5000"), transaction(pin(2), "5000.01"))
    run = service.upload("treasury-clerk", "pain-1", "pensions", "2026-11", data, FileFormat.PAIN001)
    service.approve(TREASURY_SUPERVISOR, run.id)
    progress = service.execute(run.id)
    assert (progress.paid, progress.paid_tyiyn) == (2, 1_000_001)


def test_schema_errors_come_first_each_at_its_xml_line() -> None:
    data = document(
        transaction(PENSIONER, "-1"),  # the XSD's amounts are >= 0
        transaction(WIDOW, "7000", currency="som"),  # Ccy is three capitals
        count=2,
    ).replace(b"<NbOfTxs>2</NbOfTxs>", b"<NbOfTxs>two</NbOfTxs>")
    lines = data.decode().splitlines()
    expected_lines = [
        next(i for i, text in enumerate(lines, 1) if marker in text)
        for marker in ("<NbOfTxs>two", 'InstdAmt Ccy="KGS">-1', 'Ccy="som"')
    ]
    rows, errors = parse_pain001(data)
    assert rows == []
    assert [e.reason for e in errors] == [Reason.SCHEMA_INVALID] * 3
    assert [e.line for e in errors] == expected_lines
    assert "GrpHdr/NbOfTxs" in errors[0].detail


def test_a_missing_required_element_points_at_the_element_that_breaks_the_sequence() -> None:
    data = document(transaction(PENSIONER, "1")).replace(b"<Dbtr><Nm>Treasury</Nm></Dbtr>", b"")
    line = next(i for i, text in enumerate(data.decode().splitlines(), 1) if "<DbtrAcct>" in text)
    assert [(e.line, e.reason) for e in parse_pain001(data)[1]] == [(line, Reason.SCHEMA_INVALID)]


def test_an_empty_payment_information_block_is_schema_invalid() -> None:
    # The XSD requires at least one CdtTrfTxInf per PmtInf.
    assert [e.reason for e in parse_pain001(document())[1]] == [Reason.SCHEMA_INVALID]


def test_schema_errors_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pain001, "REPORT_ERRORS_MAX", 3)
    data = document(*(transaction(PENSIONER, "-1") for _ in range(10)))
    assert len(parse_pain001(data)[1]) == 3


def test_a_schema_invalid_upload_is_refused_with_nothing_written(engine: Engine, ledger: Ledger) -> None:
    service, _ = build(engine, ledger)
    data = document(transaction(pin(1), "5000")).replace(b"<MsgId>PENSIONS-2026-11</MsgId>", b"")
    with pytest.raises(FileRefused) as refused:
        service.upload("treasury-clerk", "pain-bad", "pensions", "2026-11", data, FileFormat.PAIN001)
    assert [e.reason for e in refused.value.report.errors] == [Reason.SCHEMA_INVALID]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tables.runs)).scalar_one() == 0
