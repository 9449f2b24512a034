"""The LBMA weight list as CSV (`Serial number, Brand, Gross weight, Assay, Fine weight,
Year`): reading with row-level checks, and writing.

Reading is pure: it returns the bars and every refused row (a spreadsheet's row number,
the header being row 1, and the rule), and the register refuses the whole file if any
row is refused. The same reader takes an auditor's bar count, which adds `Vault` and
`Count date` columns and is checked for form only (a count's odd bar is a finding of
the audit, not a refusal)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from digisom.usdkg import units
from digisom.usdkg.errors import FileTooLarge, MalformedFile, RowsRefused
from digisom.usdkg.model import WeightListBar

WEIGHT_LIST_COLUMNS: Final = ("Serial number", "Brand", "Gross weight", "Assay", "Fine weight", "Year")
COUNT_COLUMNS: Final = (*WEIGHT_LIST_COLUMNS, "Vault", "Count date")

# A vault holds tens of thousands of bars; 200,000 rows (about 12 MB) leaves room for the
# largest while keeping an upload's memory bounded.
FILE_BYTES_MAX: Final = 32 * 1024 * 1024
ROWS_MAX: Final = 200_000
# A refusal lists the first rows refused, enough to fix a file, not a copy of it.
PROBLEMS_LISTED_MAX: Final = 100

SERIAL_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9 /._-]{0,31}")
TEXT_CHARS_MAX: Final = 100
YEAR_MIN: Final = 1900
YEAR_MAX: Final = 2100
WEIGHT_PLACES: Final = 3
ASSAY_PLACES: Final = 1


@dataclass(slots=True)
class Problems:
    """Refused rows, counted in full, listed up to `PROBLEMS_LISTED_MAX`."""

    listed: list[dict[str, Any]] = field(default_factory=list)
    count: int = 0

    def add(self, row: int, serial: str, rule: str, detail: str) -> None:
        """Refuse row `row` by `rule`."""
        self.count += 1
        if len(self.listed) < PROBLEMS_LISTED_MAX:
            self.listed.append({"row": row, "serial": serial, "rule": rule, "detail": detail})

    def raise_if_any(self) -> None:
        """Refuse the file if any row was refused."""
        if self.count:
            raise RowsRefused(self.listed, self.count)


@dataclass(frozen=True, slots=True)
class CountedBar:
    """One row of an auditor's bar count, well-formed but not held to the register's rules."""

    row: int
    bar: WeightListBar
    vault: str
    count_date: str


def read_rows(data: bytes, columns: tuple[str, ...]) -> list[tuple[int, list[str]]]:
    """The data rows of a CSV file with exactly `columns`, each with its row number; a file
    over its limits, not UTF-8 or with another header is refused whole."""
    if len(data) > FILE_BYTES_MAX:
        raise FileTooLarge(f"the file is {len(data)} bytes; the limit is {FILE_BYTES_MAX}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise MalformedFile("the file is not UTF-8 text") from error
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None or [name.strip() for name in header] != list(columns):
            raise MalformedFile("the header must be: " + ", ".join(columns))
        rows: list[tuple[int, list[str]]] = []
        for fields in reader:
            if not any(part.strip() for part in fields):
                continue  # blank lines, as spreadsheets write them at the end
            if len(rows) == ROWS_MAX:
                raise FileTooLarge(f"more than {ROWS_MAX} rows")
            rows.append((reader.line_num, [part.strip() for part in fields]))
    except csv.Error as error:
        raise MalformedFile(f"not CSV: {error}") from error
    return rows


def _form(row: int, fields: list[str], columns: int, problems: Problems) -> WeightListBar | None:
    """The bar a row describes, checked for form only (None, and a problem, if it is not)."""
    serial = fields[0] if fields else ""
    if len(fields) != columns:
        problems.add(row, serial, "malformed", f"{len(fields)} fields, not {columns}")
        return None
    serial, brand, gross, assay, fine, year = fields[:6]
    if SERIAL_PATTERN.fullmatch(serial) is None:
        problems.add(row, serial, "malformed", "the serial number must be 1-32 letters, digits, spaces or / . _ -")
        return None
    if not brand or len(brand) > TEXT_CHARS_MAX:
        problems.add(row, serial, "malformed", f"the brand must be 1-{TEXT_CHARS_MAX} characters")
        return None
    try:
        gross_moz = units.parse_decimal(gross, WEIGHT_PLACES)
        fine_moz = units.parse_decimal(fine, WEIGHT_PLACES)
        fineness_tenths = units.parse_decimal(assay, ASSAY_PLACES)
        year_number = int(year) if year.isdigit() else -1
    except ValueError as error:
        problems.add(row, serial, "malformed", str(error))
        return None
    if not YEAR_MIN <= year_number <= YEAR_MAX:
        problems.add(row, serial, "malformed", f"the year must be {YEAR_MIN}-{YEAR_MAX}: {year!r}")
        return None
    return WeightListBar(serial, brand, gross_moz, fineness_tenths, fine_moz, year_number)


def _good_delivery(row: int, bar: WeightListBar, refiners: Collection[str], problems: Problems) -> None:
    """Add a problem for each LBMA Good Delivery rule the bar breaks (several may be named)."""
    if bar.brand not in refiners:
        problems.add(row, bar.serial, "unknown_refiner", f"{bar.brand!r} is not on the refiner list")
    if bar.fineness_tenths < units.FINENESS_MIN_TENTHS or bar.fineness_tenths > units.FINENESS_SCALE:
        problems.add(row, bar.serial, "fineness_out_of_range", "the assay must be 995.0 to 1000.0")
    if bar.gross_moz == 0 or bar.gross_moz % units.GROSS_STEP_MOZ:
        problems.add(row, bar.serial, "gross_weight_step", "the gross weight must be a positive multiple of 0.025 oz")
    expected = units.fine_weight_moz(bar.gross_moz, bar.fineness_tenths)
    if bar.fine_moz != expected:
        problems.add(
            row,
            bar.serial,
            "fine_weight_mismatch",
            f"gross × assay is {units.format_decimal(expected, WEIGHT_PLACES)} oz, the file says "
            f"{units.format_decimal(bar.fine_moz, WEIGHT_PLACES)}",
        )
    elif not units.FINE_MIN_MOZ <= bar.fine_moz <= units.FINE_MAX_MOZ:
        problems.add(row, bar.serial, "fine_weight_out_of_range", "a bar must hold 350 to 430 fine oz")


def _duplicates(rows: Iterable[tuple[int, str]], problems: Problems) -> None:
    seen: dict[str, int] = {}
    for row, serial in rows:
        if serial in seen:
            problems.add(row, serial, "duplicate_serial", f"the serial number is on row {seen[serial]} too")
        else:
            seen[serial] = row


def parse_weight_list(data: bytes, refiners: Collection[str]) -> tuple[list[tuple[int, WeightListBar]], Problems]:
    """The bars of a weight list with their row numbers, and the rows refused."""
    problems = Problems()
    bars = []
    for row, fields in read_rows(data, WEIGHT_LIST_COLUMNS):
        bar = _form(row, fields, len(WEIGHT_LIST_COLUMNS), problems)
        if bar is not None:
            _good_delivery(row, bar, refiners, problems)
            bars.append((row, bar))
    _duplicates(((row, bar.serial) for row, bar in bars), problems)
    return bars, problems


def parse_count(data: bytes) -> list[CountedBar]:
    """An auditor's bar count; refused whole if a row is malformed or a serial repeats."""
    problems = Problems()
    counted = []
    for row, fields in read_rows(data, COUNT_COLUMNS):
        bar = _form(row, fields, len(COUNT_COLUMNS), problems)
        if bar is None:
            continue
        vault, count_date = fields[6], fields[7]
        if not vault or len(vault) > TEXT_CHARS_MAX:
            problems.add(row, bar.serial, "malformed", f"the vault must be 1-{TEXT_CHARS_MAX} characters")
            continue
        counted.append(CountedBar(row, bar, vault, count_date))
    _duplicates(((c.row, c.bar.serial) for c in counted), problems)
    problems.raise_if_any()
    return counted


def write_weight_list(bars: Iterable[WeightListBar]) -> str:
    """The bars as an LBMA weight list (CSV text)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(WEIGHT_LIST_COLUMNS)
    for bar in bars:
        writer.writerow(
            (
                bar.serial,
                bar.brand,
                units.format_decimal(bar.gross_moz, WEIGHT_PLACES),
                units.format_decimal(bar.fineness_tenths, ASSAY_PLACES),
                units.format_decimal(bar.fine_moz, WEIGHT_PLACES),
                bar.year,
            )
        )
    return out.getvalue()
