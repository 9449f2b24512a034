"""Reading an ISO 20022 pain.001 (customer credit transfer initiation) batch into
payment rows, with the same row-level error report as the CSV input.

Each `CdtTrfTxInf` is one recipient: the PIN in `Cdtr/Id/PrvtId/Othr/Id`, the amount in
`Amt/InstdAmt` (som, `Ccy="KGS"`), the name in `Cdtr/Nm` and the region in
`Cdtr/PstlAdr/CtrySubDvsn`. A `RowError.line` here is the transaction's ordinal in the
file (1 = the first `CdtTrfTxInf`); 0 is the file as a whole. The group header's
`NbOfTxs` and `CtrlSum`, when present, must match the transactions.

Untrusted XML: defusedxml refuses DTDs, entities and external references before any
expansion; the size limit is the CSV's `FILE_BYTES_MAX`. The parsed document is then
validated against the ISO 20022 XSD of its namespace (pain.001.001.03 or .09, shipped in
`schemas/`) before any field is read; each schema error is a `schema_invalid` row whose
line is the XML line of the offending element.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any, Final
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

import defusedxml
import defusedxml.ElementTree
import xmlschema

from digisom.disbursement.parsing import (
    FILE_BYTES_MAX,
    FILE_LEVEL_LINE,
    REPORT_ERRORS_MAX,
    ROWS_MAX,
    PaymentRow,
    Reason,
    ResolvedRow,
    RowError,
    accept_row,
    check_rows,
    make_row,
    parse_amount_tyiyn,
)
from digisom.disbursement.ports import RecipientDirectory
from digisom.money import KGS

_NAMESPACE_PREFIX: Final = "urn:iso:std:iso:20022:tech:xsd:pain.001.001."
# The versions whose XSD ships with the package; the document's namespace picks one.
SCHEMA_VERSIONS: Final = ("03", "09")
# A schema error's detail may quote the offending value; reports stay bounded.
SCHEMA_DETAIL_CHARS_MAX: Final = 300


class _LinedElement(Element):
    """An element that remembers the line it started on, for the error report."""

    __slots__ = ("sourceline",)

    sourceline: int


@cache
def schema(version: str) -> xmlschema.XMLSchema:
    """The ISO 20022 XSD of pain.001.001.`version` (loaded once per process)."""
    source = resources.files("digisom.disbursement") / "schemas" / f"pain.001.001.{version}.xsd"
    with source.open("rb") as xsd:
        return xmlschema.XMLSchema(xsd)


def parse_pain001(data: bytes) -> tuple[list[PaymentRow], list[RowError]]:
    """Rows and errors of a pain.001 document: XML syntax, the ISO 20022 schema, then the
    per-row checks (no directory, no budget)."""
    if len(data) > FILE_BYTES_MAX:
        return [], [RowError(FILE_LEVEL_LINE, Reason.FILE_TOO_LARGE, f"over {FILE_BYTES_MAX} bytes")]
    try:
        root = _parse(data)
    except defusedxml.DefusedXmlException as error:
        return [], [RowError(FILE_LEVEL_LINE, Reason.NOT_XML, f"forbidden XML construct: {type(error).__name__}")]
    except ParseError as error:
        return [], [RowError(FILE_LEVEL_LINE, Reason.NOT_XML, f"not well-formed: {error}")]
    except (LookupError, ValueError) as error:
        # The XML declaration names an encoding Python lacks or expat cannot read (utf-7, base64).
        return [], [RowError(FILE_LEVEL_LINE, Reason.NOT_XML, f"unusable encoding: {error}")]
    namespace = root.tag[1:].partition("}")[0] if root.tag.startswith("{") else ""
    version = namespace.removeprefix(_NAMESPACE_PREFIX)
    if not namespace.startswith(_NAMESPACE_PREFIX) or _local(root.tag) != "Document":
        return [], [RowError(FILE_LEVEL_LINE, Reason.NOT_PAIN001, "not a pain.001 Document")]
    if version not in SCHEMA_VERSIONS:
        supported = ", ".join(_NAMESPACE_PREFIX + v for v in SCHEMA_VERSIONS)
        detail = f"pain.001.001.{version} is not supported; use {supported}"
        return [], [RowError(FILE_LEVEL_LINE, Reason.NOT_PAIN001, detail)]
    schema_errors = _schema_errors(root, version)
    if schema_errors:
        return [], schema_errors
    initiation = root.find(f"{{{namespace}}}CstmrCdtTrfInitn")
    if initiation is None:  # the schema requires it; kept for the type checker
        return [], [RowError(FILE_LEVEL_LINE, Reason.NOT_PAIN001, "not a pain.001 Document")]
    ns = {"p": namespace}
    rows: list[PaymentRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    transactions = initiation.findall("p:PmtInf/p:CdtTrfTxInf", ns)
    if len(transactions) > ROWS_MAX:
        return [], [RowError(FILE_LEVEL_LINE, Reason.TOO_MANY_ROWS, f"over {ROWS_MAX} transactions")]
    if not transactions:
        return [], [RowError(FILE_LEVEL_LINE, Reason.EMPTY_FILE, "no CdtTrfTxInf")]
    for ordinal, transaction in enumerate(transactions, 1):
        amount = transaction.find("p:Amt/p:InstdAmt", ns)
        if amount is not None and amount.get("Ccy") != KGS.code:
            errors.append(RowError(ordinal, Reason.WRONG_CURRENCY, f"Ccy={amount.get('Ccy')!r}, expected KGS"))
            continue
        row_or_error = make_row(
            ordinal,
            _text(transaction, "p:Cdtr/p:Id/p:PrvtId/p:Othr/p:Id", ns),
            (amount.text or "") if amount is not None else "",
            _text(transaction, "p:Cdtr/p:PstlAdr/p:CtrySubDvsn", ns),
            _text(transaction, "p:Cdtr/p:Nm", ns),
            in_som=True,
        )
        accept_row(row_or_error, seen, rows, errors)
    errors.extend(_check_group_header(initiation, ns, transactions))
    return rows, errors


def check_pain001(
    data: bytes, directory: RecipientDirectory, budget_remaining_tyiyn: int, benefit_scheme: str = ""
) -> list[ResolvedRow]:
    """The document's rows with their destinations, or `FileRefused` listing every bad one."""
    rows, errors = parse_pain001(data)
    return check_rows(rows, errors, directory, budget_remaining_tyiyn, benefit_scheme)


def _check_group_header(initiation: Element, ns: dict[str, str], transactions: list[Element]) -> list[RowError]:
    errors = []
    count_text = _text(initiation, "p:GrpHdr/p:NbOfTxs", ns)
    if count_text and count_text != str(len(transactions)):
        errors.append(
            RowError(FILE_LEVEL_LINE, Reason.CONTROL_SUM_MISMATCH, f"NbOfTxs {count_text}, found {len(transactions)}")
        )
    sum_text = _text(initiation, "p:GrpHdr/p:CtrlSum", ns)
    if sum_text:
        declared = parse_amount_tyiyn(sum_text, in_som=True)
        found_tyiyn = 0
        for transaction in transactions:
            amount = parse_amount_tyiyn(_text(transaction, "p:Amt/p:InstdAmt", ns), in_som=True)
            found_tyiyn += amount if isinstance(amount, int) else 0
        if declared != found_tyiyn:
            errors.append(
                RowError(
                    FILE_LEVEL_LINE,
                    Reason.CONTROL_SUM_MISMATCH,
                    f"CtrlSum {sum_text}, transactions add up to {found_tyiyn} tyiyn",
                )
            )
    return errors


def _parse(data: bytes) -> Element:
    """The document's root; defusedxml's parser (no DTDs, entities or external references),
    with each element's start line kept for the report."""
    builder = _LineBuilder()
    parser = defusedxml.ElementTree.DefusedXMLParser(
        target=builder, forbid_dtd=True, forbid_entities=True, forbid_external=True
    )
    builder.expat = parser.parser
    parser.feed(data)
    root: Element = parser.close()
    return root


class _LineBuilder(TreeBuilder):
    """Builds `_LinedElement`s, stamping each with the parser's current line."""

    expat: Any = None

    def __init__(self) -> None:
        super().__init__(element_factory=_LinedElement)

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        element = super().start(tag, attrs)
        element.sourceline = self.expat.CurrentLineNumber  # type: ignore[attr-defined]
        return element


def _schema_errors(root: Element, version: str) -> list[RowError]:
    """The document's XSD violations (at most `REPORT_ERRORS_MAX`), each at its element's line."""
    errors: list[RowError] = []
    try:
        for error in schema(version).iter_errors(root):
            errors.append(_schema_error(error))
            if len(errors) >= REPORT_ERRORS_MAX:
                break
    except OverflowError:  # xmlschema's date types overflow on a year of many digits
        errors.append(RowError(FILE_LEVEL_LINE, Reason.SCHEMA_INVALID, "a date or time out of range"))
    return errors


def _schema_error(error: xmlschema.XMLSchemaValidationError) -> RowError:
    """One XSD violation, at its element's line."""
    element = error.elem
    # A content-model error names the parent; point at the offending child when known.
    index = getattr(error, "index", None)
    if isinstance(index, int) and element is not None and 0 <= index < len(element):
        element = element[index]
    line = getattr(element, "sourceline", FILE_LEVEL_LINE)
    detail = f"{_short_path(error.path)}: {error.reason}"[:SCHEMA_DETAIL_CHARS_MAX]
    return RowError(line, Reason.SCHEMA_INVALID, detail)


def _short_path(path: str | None) -> str:
    """`/{ns}Document/{ns}GrpHdr` as `/Document/GrpHdr`."""
    return "/".join(_local(step) for step in (path or "").split("/"))


def _text(element: Element, path: str, ns: dict[str, str]) -> str:
    found = element.find(path, ns)
    return (found.text or "").strip() if found is not None else ""


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]
