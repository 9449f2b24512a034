"""The CSV upload of a report (docs/vasp-reports.md, "CSV format").

One row per record, its kind in the first column; the file is UTF-8 (a byte-order mark
is allowed), comma-separated, RFC 4180 quoting:

    format,digisom-vasp-report-v1
    report,<vasp_id>,<period>,<version>,<reason>,<customers>
    pair,<base>,<quote>,<volume_base_units>,<volume_tyiyn>,<trades>      (any number)
    asset,<asset>,<deposits_units>,<withdrawals_units>                   (any number)
    totals,<volume_tyiyn>,<trades>
    signature,<128 hex digits>

`format` comes first, `report` and `totals` once each, `signature` last; empty cells
after a record's columns are ignored (spreadsheets pad rows). The rows build exactly the
JSON report (pairs and assets in file order), and the signature is over that report's
canonical bytes: a CSV and a JSON submission of one report carry the same signature."""

from __future__ import annotations

import csv
import io
import re
from typing import Any, Final

from digisom.vasp_reports.errors import FileTooLarge, InvalidReport, MalformedCsv
from digisom.vasp_reports.report import ASSETS_MAX, FORMAT, PAIRS_MAX, Report, parse_report

FILE_BYTES_MAX: Final = 1024 * 1024  # 2,500 rows of at most ~200 bytes, with room
ROWS_MAX: Final = PAIRS_MAX + ASSETS_MAX + 4
SIGNATURE_PATTERN: Final = re.compile(r"^[0-9a-f]{128}$")
COLUMNS: Final = {
    "format": ("format",),
    "report": ("vasp_id", "period", "version", "reason", "customers"),
    "pair": ("base", "quote", "volume_base_units", "volume_tyiyn", "trades"),
    "asset": ("asset", "deposits_units", "withdrawals_units"),
    "totals": ("volume_tyiyn", "trades"),
    "signature": ("signature",),
}
_COUNTS: Final = frozenset({"version", "customers", "trades"})
_DIGITS: Final = re.compile(r"^(0|[1-9][0-9]{0,15})$")


def _cells(row_number: int, row: list[str]) -> tuple[str, dict[str, Any]]:
    kind = row[0] if row else ""
    if kind not in COLUMNS:
        raise MalformedCsv(f"row {row_number}: unknown record kind {kind[:20]!r}; one of {', '.join(COLUMNS)}",
                           row=row_number)
    names = COLUMNS[kind]
    values, extra = row[1:1 + len(names)], row[1 + len(names):]
    if len(values) < len(names) or any(cell.strip() for cell in extra):
        raise MalformedCsv(f"row {row_number}: a {kind} row has {len(names)} columns after its kind: "
                           f"{', '.join(names)}", row=row_number)
    # Counts are JSON integers in the report: digits only become one, anything else stays
    # text so the schema refuses it by name ("1.5" is never rounded).
    return kind, {name: int(value) if name in _COUNTS and _DIGITS.match(value) else value
                  for name, value in zip(names, values, strict=True)}


def _rows(data: bytes) -> list[list[str]]:
    if len(data) > FILE_BYTES_MAX:
        raise FileTooLarge(f"the file has {len(data)} bytes; at most {FILE_BYTES_MAX}", limit_bytes=FILE_BYTES_MAX)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise MalformedCsv(f"the file is not UTF-8 (byte {error.start})") from None
    if text.count("\n") > ROWS_MAX:
        raise FileTooLarge(f"the file has more than {ROWS_MAX} rows", limit_rows=ROWS_MAX)
    try:
        return [row for row in csv.reader(io.StringIO(text, newline=""), strict=True) if row]
    except csv.Error as error:
        raise MalformedCsv(f"the file is not valid CSV: {error}") from None


def parse_csv(data: bytes) -> tuple[Report, bytes]:
    """The report and its signature in a CSV upload; `FileTooLarge`, `MalformedCsv` (row
    named) or `InvalidReport` (field and row named) if it is not one."""
    rows = _rows(data)
    records = [_cells(number, row) for number, row in enumerate(rows, start=1)]
    kinds = [kind for kind, _ in records]
    if kinds[:1] != ["format"] or records[0][1]["format"] != FORMAT:
        raise MalformedCsv(f"row 1 must be: format,{FORMAT}", row=1)
    if kinds[-1:] != ["signature"] or kinds.count("signature") != 1:
        raise MalformedCsv("the last row, and only it, is the signature: signature,<128 hex digits>")
    for kind in ("report", "totals"):
        if kinds.count(kind) != 1:
            raise MalformedCsv(f"the file has {kinds.count(kind)} {kind} rows; exactly one", kind=kind)
    signature = records[-1][1]["signature"].strip().lower()
    if not SIGNATURE_PATTERN.match(signature):
        raise MalformedCsv(f"row {len(rows)}: the signature is 64 bytes as 128 hex digits", row=len(rows))
    header = next(cells for kind, cells in records if kind == "report")
    document = {"format": FORMAT, **header,
                "pairs": [cells for kind, cells in records if kind == "pair"],
                "assets": [cells for kind, cells in records if kind == "asset"],
                "totals": next(cells for kind, cells in records if kind == "totals")}
    try:
        report = parse_report(document)
    except InvalidReport as error:
        rows_of = _row_numbers(kinds)
        raise InvalidReport([{**e, "row": rows_of.get(e["field"].split(".")[0] + _index(e["field"]))}
                             for e in error.errors]) from None
    return report, bytes.fromhex(signature)


def _index(field: str) -> str:
    parts = field.split(".")
    return f".{parts[1]}" if len(parts) > 1 and parts[1].isdigit() else ""


def _row_numbers(kinds: list[str]) -> dict[str, int]:
    """Report field prefix ("pairs.3", "totals", "version") -> its CSV row number."""
    found: dict[str, int] = {}
    counters = {"pair": 0, "asset": 0}
    for number, kind in enumerate(kinds, start=1):
        if kind in counters:
            found[f"{kind}s.{counters[kind]}"] = number
            counters[kind] += 1
        elif kind == "report":
            found.update(dict.fromkeys(COLUMNS["report"], number))
        elif kind == "totals":
            found["totals"] = number
    return found


def to_csv(report: Report, signature: bytes) -> bytes:
    """`report` and its signature as a CSV upload (what `parse_csv` reads back)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["format", FORMAT])
    writer.writerow(["report", report.vasp_id, report.period, report.version, report.reason, report.customers])
    for pair in report.pairs:
        writer.writerow(["pair", pair.base, pair.quote, pair.volume_base_units, pair.volume_tyiyn, pair.trades])
    for line in report.assets:
        writer.writerow(["asset", line.asset, line.deposits_units, line.withdrawals_units])
    writer.writerow(["totals", report.totals.volume_tyiyn, report.totals.trades])
    writer.writerow(["signature", signature.hex()])
    return out.getvalue().encode("utf-8")
