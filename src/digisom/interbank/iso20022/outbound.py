"""Building outbound messages: domain value -> dict -> `XMLSchema.encode` (validated) -> bytes.

Every builder validates strictly against the message's XSD while encoding; what does not
validate raises Iso20022Error(FF02) and no bytes leave.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Final
from xml.etree import ElementTree

import xmlschema

from digisom.interbank.iso20022.amounts import to_decimal
from digisom.interbank.iso20022.errors import Iso20022Error, ReasonCode
from digisom.interbank.iso20022.model import (
    AccountStatement,
    Agent,
    CreditDebit,
    CreditTransferOrder,
    Notification,
    PaymentReturn,
    PostalAddress,
    Priority,
    StatementEntry,
    StatusReport,
    entries_total_minor,
)
from digisom.interbank.iso20022.registry import MessageType, SchemaRegistry, default_registry
from digisom.money import Money

# ISO 20022 Max105Text: the longest free-text reason (AddtlInf) a status report carries.
MAX_REASON_DETAIL_CHARS: Final = 105
# Settlement method of a payment settled in the RTGS itself (ISO SettlementMethod1Code).
SETTLEMENT_METHOD: Final = "CLRG"
# Bank transaction code (proprietary) on camt entries: a movement settled by the RTGS.
BANK_TRANSACTION_CODE: Final = {"Prtry": {"Cd": "RTGS", "Issr": "digisom"}}
# ExternalOrganisationIdentification1Code for a bank's national code in Ownr/Id/OrgId/Othr.
BANK_CODE_SCHEME: Final = "BANK"

Json = dict[str, Any]


def encode(message_type: MessageType, content: Json, registry: SchemaRegistry | None = None) -> bytes:
    """`content` (the message element's dict) as a validated Document, in UTF-8 bytes."""
    schema = (registry or default_registry()).schema(message_type)
    try:
        root = schema.encode(
            {message_type.root: content},
            path="Document",
            namespaces={"": message_type.namespace},
            converter=xmlschema.UnorderedConverter,
            validation="strict",
        )
    except xmlschema.XMLSchemaValidationError as exc:
        raise Iso20022Error(
            ReasonCode.SYNTAX_ERROR, f"outbound {message_type.value} does not validate: {exc.reason}"
        ) from None
    if not isinstance(root, ElementTree.Element):  # strict validation returns the element alone
        raise Iso20022Error(ReasonCode.SYNTAX_ERROR, f"outbound {message_type.value} did not encode")
    # ElementTree's default_namespace option refuses unqualified attributes (Ccy); and
    # register_namespace would change process-wide state. So write the message's one
    # namespace as a plain xmlns attribute on unprefixed tags of this fresh tree.
    prefix = "{" + message_type.namespace + "}"
    for element in root.iter():
        element.tag = element.tag.removeprefix(prefix)
    root.set("xmlns", message_type.namespace)
    data: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def build_pacs008(order: CreditTransferOrder, registry: SchemaRegistry | None = None) -> bytes:
    """A pacs.008.001.08 carrying `order` as its single transaction."""
    transaction = _transaction(order)
    transaction["ChrgBr"] = "SLEV"  # charges follow the scheme's service level
    transaction["Dbtr"] = _party(order.debtor_name, order.debtor_address)
    transaction["DbtrAgt"] = _agent(order.debtor_agent)
    transaction["CdtrAgt"] = _agent(order.creditor_agent)
    transaction["Cdtr"] = _party(order.creditor_name, order.creditor_address)
    _put_account(transaction, "DbtrAcct", order.debtor_account)
    _put_account(transaction, "CdtrAcct", order.creditor_account)
    if order.remittance_information:
        transaction["RmtInf"] = {"Ustrd": list(order.remittance_information)}
    return encode(MessageType.PACS_008, {"GrpHdr": _group_header(order), "CdtTrfTxInf": [transaction]}, registry)


def build_pacs009(order: CreditTransferOrder, registry: SchemaRegistry | None = None) -> bytes:
    """A pacs.009.001.08 (bank-to-bank transfer): the debtor and creditor are the agents."""
    transaction = _transaction(order)
    transaction["Dbtr"] = _agent(order.debtor_agent, order.debtor_name)
    transaction["Cdtr"] = _agent(order.creditor_agent, order.creditor_name)
    _put_account(transaction, "DbtrAcct", order.debtor_account)
    _put_account(transaction, "CdtrAcct", order.creditor_account)
    return encode(MessageType.PACS_009, {"GrpHdr": _group_header(order), "CdtTrfTxInf": [transaction]}, registry)


def build_pacs002(report: StatusReport, registry: SchemaRegistry | None = None) -> bytes:
    """A pacs.002.001.10; transaction level when the report names a transaction, else group level."""
    reason = _status_reason(report.reason_code, report.reason_detail)
    group: Json = {"OrgnlMsgId": report.original_message_id, "OrgnlMsgNmId": report.original_message_name}
    content: Json = {"GrpHdr": {"MsgId": report.message_id, "CreDtTm": _datetime(report.created_at)}}
    if report.original_end_to_end_id is None and report.original_instruction_id is None:
        group["GrpSts"] = report.status.value
        if reason:
            group["StsRsnInf"] = [reason]
        content["OrgnlGrpInfAndSts"] = [group]
    else:
        transaction: Json = {"TxSts": report.status.value}
        _put(transaction, "OrgnlInstrId", report.original_instruction_id)
        _put(transaction, "OrgnlEndToEndId", report.original_end_to_end_id)
        if reason:
            transaction["StsRsnInf"] = [reason]
        content["OrgnlGrpInfAndSts"] = [group]
        content["TxInfAndSts"] = [transaction]
    return encode(MessageType.PACS_002, content, registry)


def build_pacs004(payment_return: PaymentReturn, registry: SchemaRegistry | None = None) -> bytes:
    """A pacs.004.001.09 returning one earlier transfer (or part of it)."""
    r = payment_return
    transaction: Json = {
        "RtrId": r.return_id,
        "OrgnlGrpInf": {"OrgnlMsgId": r.original_message_id, "OrgnlMsgNmId": r.original_message_name},
        "OrgnlEndToEndId": r.original_end_to_end_id,
        "RtrdIntrBkSttlmAmt": _amount(r.returned_amount),
        "IntrBkSttlmDt": _date(r.settlement_date),
        "InstgAgt": _agent(r.returning_agent),
        "InstdAgt": _agent(r.receiving_agent),
    }
    _put(transaction, "OrgnlInstrId", r.original_instruction_id)
    if r.reason_code is not None:
        transaction["RtrRsnInf"] = [{"Rsn": {"Cd": r.reason_code}}]
    header: Json = {
        "MsgId": r.message_id,
        "CreDtTm": _datetime(r.created_at),
        "NbOfTxs": "1",
        "SttlmInf": {"SttlmMtd": SETTLEMENT_METHOD},
    }
    return encode(MessageType.PACS_004, {"GrpHdr": header, "TxInf": [transaction]}, registry)


def build_camt053(statement: AccountStatement, registry: SchemaRegistry | None = None) -> bytes:
    """A camt.053.001.08 with one statement: opening and closing booked balance and the entries."""
    s = statement
    _check_balances(s)
    balances = [
        _balance("OPBD", s.opening_balance, s.statement_date),
        _balance("CLBD", s.closing_balance, s.statement_date),
    ]
    body: Json = {
        "Id": s.statement_id,
        "CreDtTm": _datetime(s.created_at),
        "Acct": _settlement_account(s.account, s.bank, s.opening_balance),
        "Bal": balances,
    }
    if s.entries:
        body["Ntry"] = [_entry(e) for e in s.entries]
    header = {"MsgId": s.message_id, "CreDtTm": _datetime(s.created_at)}
    return encode(MessageType.CAMT_053, {"GrpHdr": header, "Stmt": [body]}, registry)


def build_camt054(notification: Notification, registry: SchemaRegistry | None = None) -> bytes:
    """A camt.054.001.08 notifying one or more entries on one settlement account."""
    n = notification
    if not n.entries:
        raise Iso20022Error(ReasonCode.SYNTAX_ERROR, "a notification has at least one entry")
    body: Json = {
        "Id": n.notification_id,
        "CreDtTm": _datetime(n.created_at),
        "Acct": _settlement_account(n.account, n.bank, n.entries[0].amount),
        "Ntry": [_entry(e) for e in n.entries],
    }
    header = {"MsgId": n.message_id, "CreDtTm": _datetime(n.created_at)}
    return encode(MessageType.CAMT_054, {"GrpHdr": header, "Ntfctn": [body]}, registry)


def _check_balances(s: AccountStatement) -> None:
    movement = entries_total_minor(s.entries)
    if s.opening_balance.amount_minor + movement != s.closing_balance.amount_minor:
        raise Iso20022Error(
            ReasonCode.WRONG_AMOUNT,
            f"closing balance {s.closing_balance} is not opening {s.opening_balance} plus entries",
        )


def _group_header(order: CreditTransferOrder) -> Json:
    return {
        "MsgId": order.message_id,
        "CreDtTm": _datetime(order.created_at),
        "NbOfTxs": "1",
        "SttlmInf": {"SttlmMtd": SETTLEMENT_METHOD},
    }


def _transaction(order: CreditTransferOrder) -> Json:
    priority = "HIGH" if order.priority is Priority.URGENT else "NORM"
    payment_id: Json = {"EndToEndId": order.end_to_end_id}
    _put(payment_id, "InstrId", order.instruction_id)
    return {
        "PmtId": payment_id,
        "PmtTpInf": {"InstrPrty": priority},
        "IntrBkSttlmAmt": _amount(order.amount),
        "IntrBkSttlmDt": _date(order.settlement_date),
        "SttlmPrty": priority,
    }


def _amount(money: Money) -> Json:
    return {"@Ccy": money.currency.code, "$": to_decimal(money)}


def _agent(agent: Agent, name: str | None = None) -> Json:
    if agent.bic is None and agent.bank_code is None:
        raise Iso20022Error(ReasonCode.BANK_IDENTIFIER_INCORRECT, "an agent needs a BIC or a bank code")
    institution: Json = {}
    _put(institution, "BICFI", agent.bic)
    if agent.bank_code is not None:
        institution["ClrSysMmbId"] = {"MmbId": agent.bank_code}
    _put(institution, "Nm", name)
    return {"FinInstnId": institution}


def _party(name: str | None, address: PostalAddress | None = None) -> Json:
    party: Json = {"Nm": name} if name is not None else {}
    if address is not None:
        postal: Json = {}
        for key, value in (("StrtNm", address.street_name), ("BldgNb", address.building_number),
                           ("BldgNm", address.building_name), ("PstCd", address.post_code),
                           ("TwnNm", address.town_name), ("CtrySubDvsn", address.country_sub_division),
                           ("Ctry", address.country)):
            _put(postal, key, value)
        if address.address_lines:
            postal["AdrLine"] = list(address.address_lines)
        party["PstlAdr"] = postal
    return party


def _put_account(target: Json, key: str, account: str | None) -> None:
    if account is not None:
        target[key] = {"Id": {"Othr": {"Id": account}}}


def _settlement_account(account: str, bank: Agent, money: Money) -> Json:
    organisation: Json = {}
    _put(organisation, "AnyBIC", bank.bic)
    if bank.bank_code is not None:
        organisation["Othr"] = [{"Id": bank.bank_code, "SchmeNm": {"Cd": BANK_CODE_SCHEME}}]
    if not organisation:
        raise Iso20022Error(ReasonCode.BANK_IDENTIFIER_INCORRECT, "the account owner needs a BIC or a bank code")
    return {"Id": {"Othr": {"Id": account}}, "Ccy": money.currency.code, "Ownr": {"Id": {"OrgId": organisation}}}


def _balance(code: str, balance: Money, on: date) -> Json:
    side = CreditDebit.CREDIT if balance.amount_minor >= 0 else CreditDebit.DEBIT
    return {
        "Tp": {"CdOrPrtry": {"Cd": code}},
        "Amt": _amount(Money(abs(balance.amount_minor), balance.currency)),
        "CdtDbtInd": side.value,
        "Dt": {"Dt": _date(on)},
    }


def _entry(entry: StatementEntry) -> Json:
    result: Json = {
        "Amt": _amount(entry.amount),
        "CdtDbtInd": entry.credit_debit.value,
        "Sts": {"Cd": "BOOK"},
        "BookgDt": {"Dt": _date(entry.booking_date)},
        "BkTxCd": BANK_TRANSACTION_CODE,
    }
    _put(result, "AcctSvcrRef", entry.reference)
    if entry.end_to_end_id is not None:
        result["NtryDtls"] = [{"TxDtls": [{"Refs": {"EndToEndId": entry.end_to_end_id}}]}]
    return result


def _status_reason(code: str | None, detail: str | None) -> Json:
    reason: Json = {}
    if code is not None:
        reason["Rsn"] = {"Cd": code}
    if detail:
        reason["AddtlInf"] = [detail[:MAX_REASON_DETAIL_CHARS]]
    return reason


def _put(target: Json, key: str, value: str | None) -> None:
    if value is not None:
        target[key] = value


def _datetime(value: datetime) -> str:
    return value.isoformat()


def _date(value: date) -> str:
    return value.isoformat()
