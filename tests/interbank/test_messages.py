"""Every message type builds, validates against its official XSD and round-trips."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from importlib import resources

import defusedxml.ElementTree
import pytest
from hypothesis import given
from hypothesis import strategies as st

from digisom.interbank.iso20022 import (
    AccountStatement,
    CreditTransferOrder,
    Iso20022Error,
    MessageType,
    Notification,
    PaymentReturn,
    Priority,
    ReasonCode,
    StatusReport,
    TransactionStatus,
    build_camt053,
    build_camt054,
    build_pacs002,
    build_pacs004,
    build_pacs008,
    build_pacs009,
    load_schema,
    parse_inbound,
)
from digisom.money import KGS, USD, Money
from tests.interbank.samples import BUSINESS_DAY, CENTRAL_BANK, COMMERCIAL_BANK, NOW, OTHER_COMMERCIAL_BANK


def assert_valid(xml: bytes, message_type: MessageType) -> None:
    """Independent check: the bytes parse and validate against the vendored XSD."""
    root = defusedxml.ElementTree.fromstring(xml)
    assert root.tag == f"{{{message_type.namespace}}}Document"
    load_schema(message_type).validate(root)


def test_vendored_schemas_are_the_documented_files() -> None:
    folder = resources.files("digisom.interbank.iso20022.schemas")
    readme = folder.joinpath("README.md").read_text("utf-8")
    for message_type in MessageType:
        data = folder.joinpath(f"{message_type.value}.xsd").read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        assert re.search(rf"\| {re.escape(message_type.value)}\.xsd \| \w+ \| {digest} \|", readme), message_type
        assert f'targetNamespace="{message_type.namespace}"'.encode() in data


def test_pacs008_round_trip(credit_transfer: CreditTransferOrder) -> None:
    xml = build_pacs008(credit_transfer)
    assert_valid(xml, MessageType.PACS_008)
    parsed = parse_inbound(xml)
    assert parsed.message_type is MessageType.PACS_008
    assert parsed.body == credit_transfer
    assert b'<IntrBkSttlmAmt Ccy="KGS">1234567.89</IntrBkSttlmAmt>' in xml
    assert b"<InstrPrty>HIGH</InstrPrty>" in xml


def test_pacs009_round_trip(credit_transfer: CreditTransferOrder) -> None:
    order = dataclasses.replace(
        credit_transfer, debtor_agent=CENTRAL_BANK, priority=Priority.NORMAL, debtor_name="National Bank"
    )
    xml = build_pacs009(order)
    assert_valid(xml, MessageType.PACS_009)
    parsed = parse_inbound(xml)
    assert parsed.message_type is MessageType.PACS_009
    assert parsed.body == order


def test_minimal_pacs008_round_trip(credit_transfer: CreditTransferOrder) -> None:
    order = dataclasses.replace(
        credit_transfer,
        instruction_id=None,
        debtor_name=None,
        debtor_account=None,
        creditor_name=None,
        creditor_account=None,
        priority=Priority.NORMAL,
    )
    xml = build_pacs008(order)
    assert_valid(xml, MessageType.PACS_008)
    assert parse_inbound(xml).body == order


@pytest.mark.parametrize("status", list(TransactionStatus))
def test_pacs002_round_trip(status_report: StatusReport, status: TransactionStatus) -> None:
    report = dataclasses.replace(status_report, status=status)
    xml = build_pacs002(report)
    assert_valid(xml, MessageType.PACS_002)
    assert parse_inbound(xml).body == report


def test_group_level_pacs002_round_trip(status_report: StatusReport) -> None:
    report = dataclasses.replace(
        status_report,
        status=TransactionStatus.SETTLED,
        original_end_to_end_id=None,
        original_instruction_id=None,
        reason_code=None,
        reason_detail=None,
    )
    xml = build_pacs002(report)
    assert_valid(xml, MessageType.PACS_002)
    assert b"<GrpSts>ACSC</GrpSts>" in xml
    assert parse_inbound(xml).body == report


def test_pacs004_round_trip(payment_return: PaymentReturn) -> None:
    xml = build_pacs004(payment_return)
    assert_valid(xml, MessageType.PACS_004)
    assert parse_inbound(xml).body == payment_return


def test_camt053_round_trip(statement: AccountStatement) -> None:
    xml = build_camt053(statement)
    assert_valid(xml, MessageType.CAMT_053)
    assert parse_inbound(xml).body == statement


def test_camt053_with_a_debit_balance_and_no_entries(statement: AccountStatement) -> None:
    quiet_day = dataclasses.replace(
        statement, opening_balance=Money(-5_00, KGS), closing_balance=Money(-5_00, KGS), entries=()
    )
    xml = build_camt053(quiet_day)
    assert_valid(xml, MessageType.CAMT_053)
    assert parse_inbound(xml).body == quiet_day


def test_camt053_refuses_balances_that_do_not_add_up(statement: AccountStatement) -> None:
    with pytest.raises(Iso20022Error) as caught:
        build_camt053(dataclasses.replace(statement, closing_balance=Money(0, KGS)))
    assert caught.value.reason_code is ReasonCode.WRONG_AMOUNT


def test_camt054_round_trip(notification: Notification) -> None:
    xml = build_camt054(notification)
    assert_valid(xml, MessageType.CAMT_054)
    assert parse_inbound(xml).body == notification


def test_outbound_that_would_not_validate_is_refused(credit_transfer: CreditTransferOrder) -> None:
    with pytest.raises(Iso20022Error) as caught:
        build_pacs008(dataclasses.replace(credit_transfer, message_id="M" * 36))  # Max35Text
    assert caught.value.reason_code is ReasonCode.SYNTAX_ERROR
    with pytest.raises(Iso20022Error) as caught:
        build_pacs008(dataclasses.replace(credit_transfer, amount=Money(-1, KGS)))
    assert caught.value.reason_code is ReasonCode.INVALID_AMOUNT


@given(amount_minor=st.integers(min_value=1, max_value=10**17 - 1), usd=st.booleans())
def test_amounts_round_trip_exactly(amount_minor: int, usd: bool) -> None:
    order = CreditTransferOrder(
        message_id="M1",
        created_at=NOW,
        instruction_id=None,
        end_to_end_id="E1",
        debtor_agent=COMMERCIAL_BANK,
        creditor_agent=OTHER_COMMERCIAL_BANK,
        amount=Money(amount_minor, USD if usd else KGS),
        settlement_date=BUSINESS_DAY,
        priority=Priority.NORMAL,
    )
    body = parse_inbound(build_pacs008(order)).body
    assert isinstance(body, CreditTransferOrder)
    assert body.amount == order.amount
