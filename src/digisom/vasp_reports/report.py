"""The report: its schema (format `digisom-vasp-report-v1`, docs/vasp-reports.md) and its
canonical encoding, the bytes a VASP signs.

Amounts (volumes, deposits, withdrawals) are JSON strings of decimal integers in the
smallest unit (base units of the asset, tyiyn for som), as everywhere in digisom; counts
(trades, customers) are JSON integers. No float is accepted anywhere: `1.5`, `"1.5"`,
`1e3` and `1.0` are all refused. Lines are in strictly increasing order (pairs by base
then quote, assets by symbol), so one report has one encoding.

The canonical encoding is RFC 8785 (JSON Canonicalization Scheme). Within this schema
(ASCII keys, strings, integers below 2^53, no floats) it is exactly Python's
`json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` in UTF-8,
which is what `canonical_bytes` computes."""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError

from digisom.kernel.canonical_json import canonical_json
from digisom.kernel.text import refuse_control_chars
from digisom.vasp_reports.errors import InvalidReport

FORMAT: Final = "digisom-vasp-report-v1"
# Limits, with their reasons: a VASP lists pairs (hundreds at the largest exchanges) and
# assets (the register holds dozens); 2,000 and 500 leave room and bound the work.
PAIRS_MAX: Final = 2000
ASSETS_MAX: Final = 500
REASON_CHARS_MAX: Final = 500
# 30 digits: any token's smallest unit over a month (18 decimals x 10^12 whole tokens).
AMOUNT_DIGITS_MAX: Final = 30
# Counts stay exact in every JSON reader (RFC 8785 numbers are IEEE doubles).
COUNT_MAX: Final = 2**53 - 1
VASP_ID_PATTERN: Final = r"^[a-z0-9][a-z0-9-]{1,63}$"
SYMBOL_PATTERN: Final = r"^[A-Z0-9]{2,12}$"
# Years 2000..2999: every month and the one after it are dates (year 0 or 10000 are not).
PERIOD_PATTERN: Final = r"^2[0-9]{3}-(0[1-9]|1[0-2])$"
AMOUNT_PATTERN: Final = rf"^(0|[1-9][0-9]{{0,{AMOUNT_DIGITS_MAX - 1}}})$"

Amount = Annotated[str, Field(pattern=AMOUNT_PATTERN, description="A non-negative integer, as a string.")]
Count = Annotated[StrictInt, Field(ge=0, le=COUNT_MAX)]
Symbol = Annotated[str, Field(pattern=SYMBOL_PATTERN)]
_STRICT: Final = ConfigDict(extra="forbid", strict=True, frozen=True)


class PairLine(BaseModel):
    """One asset pair's month: volume in base units and in tyiyn, and the trades."""

    model_config = _STRICT
    base: Symbol
    quote: Symbol
    volume_base_units: Amount
    volume_tyiyn: Amount
    trades: Count


class AssetLine(BaseModel):
    """One asset's deposits and withdrawals over the month, in its smallest unit."""

    model_config = _STRICT
    asset: Symbol
    deposits_units: Amount
    withdrawals_units: Amount


class Totals(BaseModel):
    """What the VASP declares as the sums of its pair lines."""

    model_config = _STRICT
    volume_tyiyn: Amount
    trades: Count


class Report(BaseModel):
    """A VASP's report for one month, as signed."""

    model_config = _STRICT
    format: Literal["digisom-vasp-report-v1"]
    vasp_id: str = Field(pattern=VASP_ID_PATTERN)
    period: str = Field(pattern=PERIOD_PATTERN, description="YYYY-MM")
    version: Count = Field(ge=1, description="1 for the first report of the month, n+1 to amend version n")
    reason: str = Field(max_length=REASON_CHARS_MAX, description="empty for version 1; why, for an amendment")
    customers: Count
    pairs: list[PairLine] = Field(max_length=PAIRS_MAX)
    assets: list[AssetLine] = Field(max_length=ASSETS_MAX)
    totals: Totals


def _field(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "report"


def parse_report(data: Any) -> Report:
    """`data` (parsed JSON) as a report, or `InvalidReport` naming every field that breaks
    the schema or the report's own rules (order, a pair of one asset, the reason)."""
    try:
        report = Report.model_validate(data)
    except ValidationError as error:
        raise InvalidReport([{"field": _field(e["loc"]), "rule": e["type"], "detail": e["msg"]}
                             for e in error.errors()]) from None
    problems = _shape_problems(report)
    if problems:
        raise InvalidReport(problems)
    return report


def _shape_problems(report: Report) -> list[dict[str, Any]]:
    problems: list[dict[str, Any]] = []

    def refuse(field: str, rule: str, detail: str) -> None:
        problems.append({"field": field, "rule": rule, "detail": detail})

    try:
        refuse_control_chars(report.reason)
    except ValueError as error:
        refuse("reason", "text", str(error))
    if (report.version == 1) != (report.reason == ""):
        refuse("reason", "reason", "version 1 has an empty reason; an amendment (version > 1) says why")
    for index, pair in enumerate(report.pairs):
        if pair.base == pair.quote:
            refuse(f"pairs.{index}", "pair", f"{pair.base}/{pair.quote} trades an asset against itself")
        if pair.trades == 0 and (pair.volume_base_units != "0" or pair.volume_tyiyn != "0"):
            refuse(f"pairs.{index}", "no_trades", f"{pair.base}/{pair.quote} has volume but no trades")
        if index and (report.pairs[index - 1].base, report.pairs[index - 1].quote) >= (pair.base, pair.quote):
            refuse(f"pairs.{index}", "order", "pairs are in strictly increasing (base, quote) order, each once")
    for index, line in enumerate(report.assets):
        if index and report.assets[index - 1].asset >= line.asset:
            refuse(f"assets.{index}", "order", "assets are in strictly increasing order, each once")
    return problems


def canonical_bytes(report: Report) -> bytes:
    """The bytes a VASP signs: the canonical JSON of the report, UTF-8."""
    return canonical_json(report.model_dump(mode="json")).encode("utf-8")


def symbols(report: Report) -> list[str]:
    """Every asset symbol the report names, each once, sorted."""
    named = {line.asset for line in report.assets}
    for pair in report.pairs:
        named.update((pair.base, pair.quote))
    return sorted(named)
