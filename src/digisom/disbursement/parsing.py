"""Reading a disbursement file (CSV) into payment rows, or refusing it with a row-level report.

The whole file is checked before anything is paid: malformed rows, bad amounts, unknown
or duplicate PINs and a total over the budget line each become a `RowError` with a typed
`Reason`, and one error anywhere refuses the whole file (`FileRefused`).

Columns: `pin`, `region`, either `amount_tyiyn` (integer tyiyn) or `amount` (som with at
most two decimals), and optionally `name`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from digisom.disbursement.ports import DIRECTORY_LOOKUP_MAX, Destination, RecipientDirectory
from digisom.kernel.errors import Invalid

# Limits, each with its reason.
# 1,000,000 payees at ~100 bytes a row fit well inside 256 MiB; larger files are split.
FILE_BYTES_MAX: Final = 256 * 1024 * 1024
# The pilot's largest programme (pensions) has under a million recipients.
ROWS_MAX: Final = 1_000_000
# A Kyrgyz personal number (PIN, INN of an individual) is 14 digits.
PIN_DIGITS: Final = 14
NAME_CHARS_MAX: Final = 200
REGION_CHARS_MAX: Final = 64
AMOUNT_TEXT_CHARS_MAX: Final = 24
# One payment above 10,000,000 som is not a social transfer; it is refused as a likely typo.
AMOUNT_TYIYN_MAX: Final = 10_000_000_00
# Errors listed in one report; beyond that the report says how many were left off.
REPORT_ERRORS_MAX: Final = 10_000
# Errors of a refused file shown in the API's problem body; the rest are counted. The CLI
# and the domain give the whole report.
PROBLEM_ERRORS_SHOWN_MAX: Final = 1000

_PIN: Final = re.compile(rf"^\d{{{PIN_DIGITS}}}$")
_NUMBER: Final = re.compile(r"^[+-]?\d+(?:\.(\d+))?$")
_TYIYN_PER_SOM: Final = 100
_HEADER_LINE: Final = 1
FILE_LEVEL_LINE: Final = 0  # `RowError.line` of an error about the file as a whole


class Reason(StrEnum):
    """Why a row (or the file) was refused; values are stable, for reports and APIs."""

    FILE_TOO_LARGE = "file_too_large"
    NOT_UTF8 = "not_utf8"
    BAD_HEADER = "bad_header"
    EMPTY_FILE = "empty_file"
    TOO_MANY_ROWS = "too_many_rows"
    MALFORMED_ROW = "malformed_row"
    MISSING_FIELD = "missing_field"
    FIELD_TOO_LONG = "field_too_long"
    INVALID_PIN = "invalid_pin"
    NON_NUMERIC_AMOUNT = "non_numeric_amount"
    TOO_MANY_DECIMALS = "too_many_decimals"
    NON_POSITIVE_AMOUNT = "non_positive_amount"
    AMOUNT_TOO_LARGE = "amount_too_large"
    DUPLICATE_PIN = "duplicate_pin"
    UNKNOWN_PIN = "unknown_pin"
    ALREADY_IN_PERIOD = "already_in_period"
    TOTAL_OVER_BUDGET = "total_over_budget"
    # pain.001 input only
    NOT_XML = "not_xml"
    NOT_PAIN001 = "not_pain001"
    SCHEMA_INVALID = "schema_invalid"
    WRONG_CURRENCY = "wrong_currency"
    CONTROL_SUM_MISMATCH = "control_sum_mismatch"


@dataclass(frozen=True, slots=True)
class RowError:
    """One refused row: its line in the file (1 is the header; 0 is the whole file)."""

    line: int
    reason: Reason
    detail: str
    pin: str = ""


@dataclass(frozen=True, slots=True)
class PaymentRow:
    """One valid row: a recipient and an amount in tyiyn."""

    line: int
    pin: str
    amount_tyiyn: int
    region: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class ResolvedRow:
    """A valid row with where its recipient is paid."""

    row: PaymentRow
    destination: Destination


@dataclass(frozen=True, slots=True)
class ErrorReport:
    """Every refused row, in file order, up to `REPORT_ERRORS_MAX`."""

    errors: tuple[RowError, ...]
    left_off: int = 0

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form."""
        return {
            "errors": [
                {"line": e.line, "reason": e.reason.value, "detail": e.detail, "pin": e.pin} for e in self.errors
            ],
            "left_off": self.left_off,
        }


class FileRefused(Invalid):
    """The file was refused before any payment; `report` lists each bad row and why (the
    problem body shows the first `PROBLEM_ERRORS_SHOWN_MAX` and counts the rest)."""

    slug = "file-refused"
    title = "The file was refused; nothing was paid"

    def __init__(self, report: ErrorReport) -> None:
        first = report.errors[0] if report.errors else None
        summary = f"line {first.line}: {first.reason.value}" if first else "refused"
        shown = report.errors[:PROBLEM_ERRORS_SHOWN_MAX]
        super().__init__(
            f"disbursement file refused ({len(report.errors) + report.left_off} errors; {summary})",
            errors=[{"line": e.line, "reason": e.reason.value, "detail": e.detail, "pin": e.pin} for e in shown],
            errors_left_off=report.left_off + len(report.errors) - len(shown),
        )
        self.report = report


def parse_amount_tyiyn(text: str, in_som: bool) -> int | Reason:
    """The amount in tyiyn, or why it is refused."""
    if not in_som and text.isdigit() and text.isascii():  # the common case, at a quarter of the cost
        amount_tyiyn = int(text)
        return _in_range(amount_tyiyn)
    match = _NUMBER.match(text)
    if match is None:
        return Reason.NON_NUMERIC_AMOUNT
    decimals = match.group(1)
    if decimals is not None and (not in_som or len(decimals) > 2):
        return Reason.TOO_MANY_DECIMALS if in_som else Reason.NON_NUMERIC_AMOUNT
    sign = -1 if text.startswith("-") else 1
    whole, _, fraction = text.lstrip("+-").partition(".")
    amount_tyiyn = int(whole) * _TYIYN_PER_SOM + int(fraction.ljust(2, "0")) if in_som else int(whole)
    return _in_range(amount_tyiyn * sign)


def _in_range(amount_tyiyn: int) -> int | Reason:
    if amount_tyiyn <= 0:
        return Reason.NON_POSITIVE_AMOUNT
    if amount_tyiyn > AMOUNT_TYIYN_MAX:
        return Reason.AMOUNT_TOO_LARGE
    return amount_tyiyn


def parse_csv(data: bytes) -> tuple[list[PaymentRow], list[RowError]]:
    """Rows and errors of a CSV file; syntax and per-row checks only (no directory, no budget)."""
    if len(data) > FILE_BYTES_MAX:
        return [], [RowError(FILE_LEVEL_LINE, Reason.FILE_TOO_LARGE, f"over {FILE_BYTES_MAX} bytes")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return [], [RowError(FILE_LEVEL_LINE, Reason.NOT_UTF8, f"byte {error.start} is not UTF-8")]
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
    except csv.Error as error:
        return [], [RowError(_HEADER_LINE, Reason.BAD_HEADER, str(error))]
    if header is None:
        return [], [RowError(FILE_LEVEL_LINE, Reason.EMPTY_FILE, "no header")]
    columns = [c.strip().lower() for c in header]
    header_error = _check_header(columns)
    if header_error is not None:
        return [], [header_error]
    index = {name: i for i, name in enumerate(columns)}
    in_som = "amount" in index
    amount_column = index["amount" if in_som else "amount_tyiyn"]
    rows: list[PaymentRow] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    count = 0
    while True:
        line = reader.line_num + 1
        try:
            fields = next(reader, None)
        except csv.Error as error:
            errors.append(RowError(line, Reason.MALFORMED_ROW, str(error)))
            break  # the reader cannot find the next row boundary reliably after this
        if fields is None:
            break
        line = reader.line_num
        if not "".join(fields).strip():
            continue  # blank lines carry nothing
        count += 1
        if count > ROWS_MAX:
            errors.append(RowError(FILE_LEVEL_LINE, Reason.TOO_MANY_ROWS, f"over {ROWS_MAX} rows"))
            break
        if len(fields) != len(columns):
            errors.append(RowError(line, Reason.MALFORMED_ROW, f"{len(fields)} fields, expected {len(columns)}"))
            continue
        name = fields[index["name"]] if "name" in index else ""
        row_or_error = make_row(
            line, fields[index["pin"]], fields[amount_column], fields[index["region"]], name, in_som
        )
        accept_row(row_or_error, seen, rows, errors)
    if count == 0 and not errors:
        errors.append(RowError(FILE_LEVEL_LINE, Reason.EMPTY_FILE, "no rows"))
    return rows, errors


def check_file(
    data: bytes, directory: RecipientDirectory, budget_remaining_tyiyn: int, benefit_scheme: str = ""
) -> list[ResolvedRow]:
    """The file's rows with their destinations, or `FileRefused` listing every bad row."""
    rows, errors = parse_csv(data)
    return check_rows(rows, errors, directory, budget_remaining_tyiyn, benefit_scheme)


def check_rows(
    rows: Sequence[PaymentRow],
    errors: list[RowError],
    directory: RecipientDirectory,
    budget_remaining_tyiyn: int,
    benefit_scheme: str = "",
) -> list[ResolvedRow]:
    """Resolve parsed rows (for the programme's `benefit_scheme`) and check the budget;
    `FileRefused` if this or parsing found errors."""
    resolved: list[ResolvedRow] = []
    for start in range(0, len(rows), DIRECTORY_LOOKUP_MAX):
        chunk = rows[start : start + DIRECTORY_LOOKUP_MAX]
        found = directory.resolve([r.pin for r in chunk], benefit_scheme)
        for row in chunk:
            destination = found.get(row.pin)
            if destination is None:
                errors.append(RowError(row.line, Reason.UNKNOWN_PIN, "not in the alias directory", row.pin))
            else:
                resolved.append(ResolvedRow(row, destination))
    total_tyiyn = sum(r.amount_tyiyn for r in rows)
    if total_tyiyn > budget_remaining_tyiyn:
        errors.append(
            RowError(
                FILE_LEVEL_LINE,
                Reason.TOTAL_OVER_BUDGET,
                f"total {total_tyiyn} tyiyn exceeds the budget line's {budget_remaining_tyiyn} tyiyn",
            )
        )
    if errors:
        raise FileRefused(report(errors))
    return resolved


def report(errors: Sequence[RowError]) -> ErrorReport:
    """A report of `errors` in file order (file-level errors first), bounded."""
    ordered = sorted(errors, key=lambda e: e.line)
    return ErrorReport(tuple(ordered[:REPORT_ERRORS_MAX]), max(0, len(ordered) - REPORT_ERRORS_MAX))


def _check_header(columns: list[str]) -> RowError | None:
    known = {"pin", "amount", "amount_tyiyn", "name", "region"}
    problems = []
    if len(set(columns)) != len(columns):
        problems.append("a column is named twice")
    unknown = [c for c in columns if c not in known]
    if unknown:
        problems.append(f"unknown columns {unknown}")
    for required in ("pin", "region"):
        if required not in columns:
            problems.append(f"missing column {required!r}")
    if ("amount" in columns) == ("amount_tyiyn" in columns):
        problems.append("exactly one of 'amount' (som) and 'amount_tyiyn' is required")
    return RowError(_HEADER_LINE, Reason.BAD_HEADER, "; ".join(problems)) if problems else None


def accept_row(
    row_or_error: PaymentRow | RowError, seen: dict[str, int], rows: list[PaymentRow], errors: list[RowError]
) -> None:
    """Append a parsed row to `rows`, or its error (or a duplicate PIN) to `errors`."""
    if isinstance(row_or_error, RowError):
        errors.append(row_or_error)
        return
    first = seen.setdefault(row_or_error.pin, row_or_error.line)
    if first != row_or_error.line:
        errors.append(RowError(row_or_error.line, Reason.DUPLICATE_PIN, f"also on line {first}", row_or_error.pin))
        return
    rows.append(row_or_error)


def make_row(line: int, pin: str, amount_text: str, region: str, name: str, in_som: bool) -> PaymentRow | RowError:
    """One row from its fields' text, or the first reason it is refused."""
    pin, amount_text, region, name = pin.strip(), amount_text.strip(), region.strip(), name.strip()
    # Once per row of a file of up to ROWS_MAX: one test for the common case, and the
    # checks that name the first failing field only for a row that fails it.
    well_formed = (
        len(pin) == PIN_DIGITS
        and 0 < len(region) <= REGION_CHARS_MAX
        and len(name) <= NAME_CHARS_MAX
        and 0 < len(amount_text) <= AMOUNT_TEXT_CHARS_MAX
        and _PIN.match(pin)
    )
    if not well_formed:
        error = _field_error(line, pin, amount_text, region, name)
        if error is not None:
            return error
    amount = parse_amount_tyiyn(amount_text, in_som)
    if isinstance(amount, Reason):
        return RowError(line, amount, repr(amount_text), pin)
    return PaymentRow(line, pin, amount, region, name)


def _field_error(line: int, pin: str, amount_text: str, region: str, name: str) -> RowError | None:
    """The first field of a row that is too long, empty or (the PIN) malformed."""
    for label, value, limit in (
        ("pin", pin, PIN_DIGITS),
        ("region", region, REGION_CHARS_MAX),
        ("name", name, NAME_CHARS_MAX),
        ("amount", amount_text, AMOUNT_TEXT_CHARS_MAX),
    ):
        if len(value) > limit:
            return RowError(line, Reason.FIELD_TOO_LONG, f"{label} over {limit} characters", pin[:PIN_DIGITS])
    for label, value in (("pin", pin), ("region", region), ("amount", amount_text)):
        if not value:
            return RowError(line, Reason.MISSING_FIELD, f"{label} is empty", pin)
    if not _PIN.match(pin):
        return RowError(line, Reason.INVALID_PIN, f"a PIN is {PIN_DIGITS} digits", pin)
    return None
