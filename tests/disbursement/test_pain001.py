"""pain.001 input: the same rows and the same row-level refusals as CSV."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from digisom.disbursement.model import FileFormat
from digisom.disbursement.pain001 import check_pain001, parse_pain001
from digisom.disbursement.parsing import FILE_LEVEL_LINE, FileRefused, Reason
from digisom.disbursement.ports import Channel, Destination
from digisom.ledger.service import Ledger
from tests.disbursement.directory import FakeDirectory
from tests.disbursement.test_execute import TREASURY_SUPERVISOR, build, pin

PENSIONER = "21203195000123"
WIDOW = "11505196000456"
NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"


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


def document(*transactions: str, count: int | None = None, control_sum: str | None = None) -> bytes:
    count_xml = f"<NbOfTxs>{len(transactions) if count is None else count}</NbOfTxs>"
    sum_xml = f"<CtrlSum>{control_sum}</CtrlSum>" if control_sum is not None else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{NS}">
  <CstmrCdtTrfInitn>
    <GrpHdr><MsgId>PENSIONS-2026-11</MsgId><CreDtTm>2026-11-23T10:00:00</CreDtTm>{count_xml}{sum_xml}
      <InitgPty><Nm>Treasury</Nm></InitgPty></GrpHdr>
    <PmtInf>
      <PmtInfId>PENSIONS</PmtInfId><PmtMtd>TRF</PmtMtd>
      <Dbtr><Nm>Treasury</Nm></Dbtr>
      {"".join(transactions)}
    </PmtInf>
  </CstmrCdtTrfInitn>
</Document>""".encode()


def directory() -> FakeDirectory:
    return FakeDirectory({PENSIONER: Destination(Channel.WALLET, 101), WIDOW: Destination(Channel.NONE)})


def test_a_good_batch() -> None:
    data = document(transaction(PENSIONER, "8500.50"), transaction(WIDOW, "7000", name="Widow"), control_sum="15500.50")
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
        transaction(WIDOW, "-1"),
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
        (document(), Reason.EMPTY_FILE),
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
