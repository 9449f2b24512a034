"""Parsing inbound messages: bytes -> defused XML -> XSD-validated dict -> domain value.

Every failure is an Iso20022Error whose reason code a pacs.002 RJCT can carry back
(docs/interbank.md has the table).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from datetime import date, datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Final
from xml.etree.ElementTree import Element

import xmlschema

from digisom.interbank.iso20022.amounts import from_decimal, positive_amount
from digisom.interbank.iso20022.errors import Iso20022Error, ReasonCode
from digisom.interbank.iso20022.model import (
    AccountStatement,
    Agent,
    CreditDebit,
    CreditTransferOrder,
    InboundMessage,
    MessageBody,
    Notification,
    PaymentReturn,
    PostalAddress,
    Priority,
    StatementEntry,
    StatusReport,
    TransactionStatus,
    entries_total_minor,
)
from digisom.interbank.iso20022.registry import MessageType, SchemaRegistry, default_registry, message_type_for
from digisom.interbank.iso20022.secure import local_name, namespace_of, parse_xml
from digisom.money import Money

# An RTGS settles each payment on its own: as in T2 RTGS, Fedwire and CBPR+, one
# transaction per pacs message and one statement or notification per camt message.
MAX_TRANSACTIONS_PER_MESSAGE: Final = 1
# Longest schema-error text kept in the detail of the error (and of the pacs.002 AddtlInf).
MAX_DETAIL_CHARS: Final = 200

_URGENT_CODES: Final = frozenset({"HIGH", "URGT"})
_DATE_FIELDS: Final = frozenset({"CreDtTm", "IntrBkSttlmDt", "Dt", "DtTm", "OrgnlCreDtTm"})
_BIC_FIELDS: Final = frozenset({"BICFI", "AnyBIC"})
_QUALIFIED_NAME: Final = re.compile(r"\{[^}]*\}")

Json = dict[str, Any]


def parse_inbound(
    xml_bytes: bytes,
    registry: SchemaRegistry | None = None,
    seen_message_ids: Container[str] = frozenset(),
) -> InboundMessage:
    """The validated domain value of an inbound message, or Iso20022Error.

    `seen_message_ids` holds the message ids already accepted from this sender (the caller
    keeps them); a repeat is refused with DU01.
    """
    root = parse_xml(xml_bytes)
    message_type = message_type_for(namespace_of(root.tag))
    if message_type is None or local_name(root.tag) != "Document":
        raise Iso20022Error(ReasonCode.INVALID_FILE_FORMAT, f"unknown message type {namespace_of(root.tag)!r}")
    content = _decode(root, message_type, registry or default_registry())
    try:
        body = _MAPPERS[message_type](content)
    except (AttributeError, TypeError):
        # An element whose children are all optional may be empty, and xmlschema decodes it to
        # None where a mapper expects a mapping (<FinInstnId/>): schema-valid, still unusable.
        raise Iso20022Error(ReasonCode.SYNTAX_ERROR, "an element the message needs is empty") from None
    if body.message_id in seen_message_ids:
        raise Iso20022Error(ReasonCode.DUPLICATE_MESSAGE_ID, f"message id {body.message_id!r} was already received")
    return InboundMessage(message_type, body)


def _decode(root: Element, message_type: MessageType, registry: SchemaRegistry) -> Json:
    schema = registry.schema(message_type)
    try:
        decoded = schema.decode(root, validation="lax", namespaces={"": message_type.namespace})
    except RecursionError:  # belt and braces behind MAX_ELEMENT_DEPTH
        raise Iso20022Error(ReasonCode.INVALID_FILE_FORMAT, "message nested too deeply") from None
    except OverflowError:  # xmlschema's date types overflow on a year of many digits
        raise Iso20022Error(ReasonCode.INVALID_DATE, "a date or time out of range") from None
    data, errors = decoded if isinstance(decoded, tuple) else (decoded, [])
    if errors:
        raise _schema_error(errors[0])
    content: Json = data[message_type.root]
    return content


def _schema_error(error: xmlschema.XMLSchemaValidationError) -> Iso20022Error:
    """The reason code for the first XSD violation, chosen by where it happened."""
    names = [local_name(part) for part in (error.path or "").split("/") if part]
    last = names[-1] if names else ""
    reason = _QUALIFIED_NAME.sub("", str(error.reason or error.message))  # "{urn:...}MsgId" -> "MsgId"
    if last.endswith("Amt") or last == "CtrlSum":
        code = ReasonCode.NOT_ALLOWED_CURRENCY if reason.startswith("attribute Ccy") else ReasonCode.INVALID_AMOUNT
    elif last in _BIC_FIELDS:
        code = ReasonCode.BANK_IDENTIFIER_INCORRECT
    elif last in {"IBAN", "Id"} and any(name.endswith("Acct") for name in names):
        code = ReasonCode.INCORRECT_ACCOUNT_NUMBER
    elif last in _DATE_FIELDS:
        code = ReasonCode.INVALID_DATE
    else:
        code = ReasonCode.SYNTAX_ERROR
    return Iso20022Error(code, f"{'/'.join(names)}: {reason}"[:MAX_DETAIL_CHARS])


# -- credit transfers (pacs.008, pacs.009) -------------------------------------------------


def _credit_transfer(content: Json, *, bank_to_bank: bool) -> CreditTransferOrder:
    header = content["GrpHdr"]
    transactions = content["CdtTrfTxInf"]
    _check_count(header["NbOfTxs"], len(transactions))
    tx = transactions[0]
    amount = positive_amount(tx["IntrBkSttlmAmt"]["$"], tx["IntrBkSttlmAmt"]["@Ccy"], "IntrBkSttlmAmt")
    _check_totals(header, "TtlIntrBkSttlmAmt", amount)
    debtor_address = creditor_address = None
    remittance_information: tuple[str, ...] = ()
    if bank_to_bank:
        debtor_agent = _agent(tx.get("DbtrAgt") or tx["Dbtr"], "DbtrAgt")
        creditor_agent = _agent(tx.get("CdtrAgt") or tx["Cdtr"], "CdtrAgt")
        debtor_name = _get(tx, "Dbtr", "FinInstnId", "Nm")
        creditor_name = _get(tx, "Cdtr", "FinInstnId", "Nm")
    else:
        debtor_agent = _agent(tx["DbtrAgt"], "DbtrAgt")
        creditor_agent = _agent(tx["CdtrAgt"], "CdtrAgt")
        debtor_name = _get(tx, "Dbtr", "Nm")
        creditor_name = _get(tx, "Cdtr", "Nm")
        debtor_address = _postal_address(_get(tx, "Dbtr", "PstlAdr"))
        creditor_address = _postal_address(_get(tx, "Cdtr", "PstlAdr"))
        remittance_information = tuple(_get(tx, "RmtInf", "Ustrd") or ())
    if _same_bank(debtor_agent, creditor_agent):
        raise Iso20022Error(ReasonCode.TRANSACTION_FORBIDDEN, "debtor and creditor agent are the same bank (on-us)")
    settlement_date = tx.get("IntrBkSttlmDt") or header.get("IntrBkSttlmDt")
    if settlement_date is None:
        raise Iso20022Error(ReasonCode.INVALID_DATE, "no interbank settlement date")
    return CreditTransferOrder(
        message_id=header["MsgId"],
        created_at=_parse_datetime(header["CreDtTm"]),
        instruction_id=_get(tx, "PmtId", "InstrId"),
        end_to_end_id=tx["PmtId"]["EndToEndId"],
        debtor_agent=debtor_agent,
        creditor_agent=creditor_agent,
        amount=amount,
        settlement_date=_parse_date(settlement_date),
        priority=_priority(tx, header),
        debtor_name=debtor_name,
        debtor_account=_account(tx.get("DbtrAcct")),
        creditor_name=creditor_name,
        creditor_account=_account(tx.get("CdtrAcct")),
        debtor_address=debtor_address,
        creditor_address=creditor_address,
        remittance_information=remittance_information,
    )


def _postal_address(address: Json | None) -> PostalAddress | None:
    if not address:
        return None
    return PostalAddress(
        country=address.get("Ctry"),
        town_name=address.get("TwnNm"),
        street_name=address.get("StrtNm"),
        building_number=address.get("BldgNb"),
        building_name=address.get("BldgNm"),
        post_code=address.get("PstCd"),
        country_sub_division=address.get("CtrySubDvsn"),
        address_lines=tuple(address.get("AdrLine") or ()),
    )


def _priority(tx: Json, header: Json) -> Priority:
    codes = {
        _get(tx, "PmtTpInf", "InstrPrty"),
        _get(header, "PmtTpInf", "InstrPrty"),
        tx.get("SttlmPrty"),
    }
    return Priority.URGENT if codes & _URGENT_CODES else Priority.NORMAL


def _check_count(declared: str, actual: int) -> None:
    if int(declared) != actual:
        raise Iso20022Error(ReasonCode.INVALID_NUMBER_OF_TRANSACTIONS, f"NbOfTxs {declared} but {actual} transactions")
    if actual > MAX_TRANSACTIONS_PER_MESSAGE:
        raise Iso20022Error(
            ReasonCode.INVALID_NUMBER_OF_TRANSACTIONS,
            f"{actual} transactions; this system takes {MAX_TRANSACTIONS_PER_MESSAGE} per message",
        )


def _check_totals(header: Json, total_field: str, amount: Money) -> None:
    control_sum: Decimal | None = header.get("CtrlSum")
    if control_sum is not None and from_decimal(control_sum, amount.currency.code, "CtrlSum") != amount:
        raise Iso20022Error(ReasonCode.INVALID_CONTROL_SUM, f"CtrlSum {control_sum} is not the sum {amount}")
    total = header.get(total_field)
    if total is not None and from_decimal(total["$"], total["@Ccy"], total_field) != amount:
        raise Iso20022Error(ReasonCode.WRONG_AMOUNT, f"{total_field} {total['$']} is not the total {amount}")


# -- status report (pacs.002), return (pacs.004) --------------------------------------------


def _status_report(content: Json) -> StatusReport:
    header = content["GrpHdr"]
    groups = content.get("OrgnlGrpInfAndSts", [])
    transactions = content.get("TxInfAndSts", [])
    if len(groups) > 1 or len(transactions) > MAX_TRANSACTIONS_PER_MESSAGE:
        raise Iso20022Error(
            ReasonCode.INVALID_NUMBER_OF_TRANSACTIONS, "one original message and transaction per report"
        )
    group: Json = groups[0] if groups else {}
    tx: Json | None = transactions[0] if transactions else None
    original = group or (tx or {}).get("OrgnlGrpInf")
    if not original:
        raise Iso20022Error(ReasonCode.SYNTAX_ERROR, "the report names no original message")
    holder = tx if tx is not None else group
    status_code = str(holder.get("TxSts") if tx is not None else group.get("GrpSts"))
    try:
        status = TransactionStatus(status_code)
    except ValueError:
        raise Iso20022Error(ReasonCode.SYNTAX_ERROR, f"status {status_code!r} is not ACSC, RJCT or PDNG") from None
    reasons = holder.get("StsRsnInf", [])
    # An empty <StsRsnInf/> is schema-valid (every child is optional) and decodes to None.
    reason: Json = (reasons[0] if reasons else None) or {}
    details = reason.get("AddtlInf", [])
    return StatusReport(
        message_id=header["MsgId"],
        created_at=_parse_datetime(header["CreDtTm"]),
        original_message_id=original["OrgnlMsgId"],
        original_message_name=original["OrgnlMsgNmId"],
        status=status,
        original_end_to_end_id=(tx or {}).get("OrgnlEndToEndId"),
        original_instruction_id=(tx or {}).get("OrgnlInstrId"),
        reason_code=_get(reason, "Rsn", "Cd"),
        reason_detail=" ".join(details) if details else None,
    )


def _payment_return(content: Json) -> PaymentReturn:
    header = content["GrpHdr"]
    transactions = content.get("TxInf", [])
    _check_count(header["NbOfTxs"], len(transactions))
    if not transactions:
        raise Iso20022Error(ReasonCode.INVALID_NUMBER_OF_TRANSACTIONS, "a return without a transaction")
    tx = transactions[0]
    amount = positive_amount(tx["RtrdIntrBkSttlmAmt"]["$"], tx["RtrdIntrBkSttlmAmt"]["@Ccy"], "RtrdIntrBkSttlmAmt")
    _check_totals(header, "TtlRtrdIntrBkSttlmAmt", amount)
    original = tx.get("OrgnlGrpInf") or content.get("OrgnlGrpInf")
    end_to_end_id = tx.get("OrgnlEndToEndId")
    if not original or end_to_end_id is None:
        raise Iso20022Error(ReasonCode.SYNTAX_ERROR, "the return names no original message or end-to-end id")
    settlement_date = tx.get("IntrBkSttlmDt") or header.get("IntrBkSttlmDt")
    if settlement_date is None:
        raise Iso20022Error(ReasonCode.INVALID_DATE, "no interbank settlement date")
    reasons = tx.get("RtrRsnInf", [])
    return PaymentReturn(
        message_id=header["MsgId"],
        created_at=_parse_datetime(header["CreDtTm"]),
        return_id=tx.get("RtrId") or header["MsgId"],
        original_message_id=original["OrgnlMsgId"],
        original_message_name=original["OrgnlMsgNmId"],
        original_end_to_end_id=end_to_end_id,
        returned_amount=amount,
        settlement_date=_parse_date(settlement_date),
        returning_agent=_agent(tx.get("InstgAgt") or header.get("InstgAgt"), "InstgAgt"),
        receiving_agent=_agent(tx.get("InstdAgt") or header.get("InstdAgt"), "InstdAgt"),
        reason_code=_get(reasons[0], "Rsn", "Cd") if reasons else None,
        original_instruction_id=tx.get("OrgnlInstrId"),
    )


# -- statement (camt.053), notification (camt.054) ------------------------------------------


def _statement(content: Json) -> AccountStatement:
    header = content["GrpHdr"]
    statement = _single(content["Stmt"], "statement")
    account, bank, code = _settlement_account(statement["Acct"])
    balances = {_get(b, "Tp", "CdOrPrtry", "Cd"): b for b in statement["Bal"]}
    if "OPBD" not in balances or "CLBD" not in balances:
        raise Iso20022Error(ReasonCode.SYNTAX_ERROR, "a statement needs an OPBD and a CLBD balance")
    opening = _signed_balance(balances["OPBD"], code)
    closing = _signed_balance(balances["CLBD"], code)
    entries = tuple(_entry(e, code) for e in statement.get("Ntry", []))
    if opening.amount_minor + entries_total_minor(entries) != closing.amount_minor:
        raise Iso20022Error(ReasonCode.WRONG_AMOUNT, f"closing {closing} is not opening {opening} plus entries")
    return AccountStatement(
        message_id=header["MsgId"],
        created_at=_parse_datetime(header["CreDtTm"]),
        statement_id=statement["Id"],
        account=account,
        bank=bank,
        statement_date=_parse_date(_day(balances["CLBD"]["Dt"])),
        opening_balance=opening,
        closing_balance=closing,
        entries=entries,
    )


def _notification(content: Json) -> Notification:
    header = content["GrpHdr"]
    notification = _single(content["Ntfctn"], "notification")
    account, bank, code = _settlement_account(notification["Acct"])
    entries = tuple(_entry(e, code) for e in notification.get("Ntry", []))
    if not entries:
        raise Iso20022Error(ReasonCode.SYNTAX_ERROR, "a notification without entries")
    return Notification(
        message_id=header["MsgId"],
        created_at=_parse_datetime(header["CreDtTm"]),
        notification_id=notification["Id"],
        account=account,
        bank=bank,
        entries=entries,
    )


def _single(items: list[Json], what: str) -> Json:
    if len(items) != 1:
        raise Iso20022Error(ReasonCode.INVALID_NUMBER_OF_TRANSACTIONS, f"{len(items)} of {what}; one per message")
    return items[0]


def _settlement_account(acct: Json) -> tuple[str, Agent, str | None]:
    account = _account(acct)
    if account is None:
        raise Iso20022Error(ReasonCode.INCORRECT_ACCOUNT_NUMBER, "no account identifier")
    organisation = _get(acct, "Ownr", "Id", "OrgId") or {}
    codes = [o["Id"] for o in organisation.get("Othr", []) if _get(o, "SchmeNm", "Cd") == "BANK"]
    bank = Agent(bic=organisation.get("AnyBIC"), bank_code=codes[0] if codes else None)
    if bank.bic is None and bank.bank_code is None:
        raise Iso20022Error(ReasonCode.BANK_IDENTIFIER_INCORRECT, "the account owner has no BIC or bank code")
    return account, bank, acct.get("Ccy")


def _signed_balance(balance: Json, account_currency: str | None) -> Money:
    money = _entry_amount(balance["Amt"], account_currency, "Bal/Amt")
    return -money if balance["CdtDbtInd"] == CreditDebit.DEBIT.value else money


def _entry(entry: Json, account_currency: str | None) -> StatementEntry:
    booking = entry.get("BookgDt")
    if booking is None:
        raise Iso20022Error(ReasonCode.INVALID_DATE, "an entry without a booking date")
    references = [
        _get(d, "Refs", "EndToEndId") for details in entry.get("NtryDtls", []) for d in details.get("TxDtls", [])
    ]
    return StatementEntry(
        amount=_entry_amount(entry["Amt"], account_currency, "Ntry/Amt"),
        credit_debit=CreditDebit(entry["CdtDbtInd"]),
        booking_date=_parse_date(_day(booking)),
        end_to_end_id=next((r for r in references if r is not None), None),
        reference=entry.get("AcctSvcrRef"),
    )


def _entry_amount(amount: Json, account_currency: str | None, field: str) -> Money:
    if account_currency is not None and amount["@Ccy"] != account_currency:
        raise Iso20022Error(
            ReasonCode.NOT_ALLOWED_CURRENCY, f"{field} in {amount['@Ccy']}, account in {account_currency}"
        )
    return from_decimal(amount["$"], amount["@Ccy"], field)


def _day(choice: Json) -> str:
    """The date of a DateAndDateTime2Choice."""
    if "Dt" in choice:
        return str(choice["Dt"])
    return str(choice["DtTm"])[:10]


# -- shared pieces ----------------------------------------------------------------------------


def _agent(branch: Json | None, field: str) -> Agent:
    institution = (branch or {}).get("FinInstnId", {})
    agent = Agent(bic=institution.get("BICFI"), bank_code=_get(institution, "ClrSysMmbId", "MmbId"))
    if agent.bic is None and agent.bank_code is None:
        raise Iso20022Error(ReasonCode.BANK_IDENTIFIER_INCORRECT, f"{field} has no BIC and no bank code")
    return agent


def _same_bank(first: Agent, second: Agent) -> bool:
    """Whether two agents name the same bank by BIC or by national bank code."""
    same_bic = first.bic is not None and first.bic == second.bic
    same_code = first.bank_code is not None and first.bank_code == second.bank_code
    return same_bic or same_code


def _account(acct: Json | None) -> str | None:
    if acct is None:
        return None
    identifier = acct["Id"]
    value = identifier.get("IBAN") or _get(identifier, "Othr", "Id")
    return str(value) if value is not None else None


def _get(data: Json | None, *keys: str) -> Any:
    """data[k1][k2]... or None where a level is missing."""
    current: Any = data
    for key in keys:
        if not isinstance(current, dict):
            return None
        current = current.get(key)
    return current


def _parse_datetime(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise Iso20022Error(ReasonCode.INVALID_DATE, f"date-time {text!r} is not understood") from None


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise Iso20022Error(ReasonCode.INVALID_DATE, f"date {text!r} is not understood") from None


_MAPPERS: Final[MappingProxyType[MessageType, Callable[[Json], MessageBody]]] = MappingProxyType(
    {
        MessageType.PACS_008: lambda content: _credit_transfer(content, bank_to_bank=False),
        MessageType.PACS_009: lambda content: _credit_transfer(content, bank_to_bank=True),
        MessageType.PACS_002: _status_report,
        MessageType.PACS_004: _payment_return,
        MessageType.CAMT_053: _statement,
        MessageType.CAMT_054: _notification,
    }
)
