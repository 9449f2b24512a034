"""Reference rates: the National Bank's official rate of each source currency in som,
from a port, with a file adapter (CSV or JSON: date, currency, rate).

A rate is an exact integer at a fixed scale: `som_e6` is the som per one unit of the
currency times 10^6 (the National Bank publishes four decimals; six leave room). Rate text
with more decimals than the scale, a float-looking JSON number that does not round-trip,
or an unknown currency is refused with the line that holds it. A rate older than the
service's `rate_age_max_days` is stale and refused (`RateStale`): a quote must never be
priced against last week's rate.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final, Protocol

from digisom.remittance.currencies import SOURCE_CURRENCIES
from digisom.remittance.errors import RateMissing, RatesFileInvalid, RateStale

RATE_SCALE: Final = 10**6
RATE_DECIMALS: Final = 6
# The National Bank sets no rate on weekends and holidays: a Friday rate serves to Monday.
RATE_AGE_MAX_DAYS_DEFAULT: Final = 3
# A rates file is small (one line per currency per day); anything bigger is not one.
RATES_FILE_BYTES_MAX: Final = 4 * 1024 * 1024
_RATE_TEXT: Final = re.compile(r"^(\d{1,9})(?:\.(\d{1,6}))?$")


@dataclass(frozen=True, slots=True)
class Rate:
    """Som per one unit of `currency` on `on`, times `RATE_SCALE`."""

    currency: str
    on: date
    som_e6: int


class ReferenceRates(Protocol):
    """Where the official rates come from (`FileRates` is the file adapter)."""

    def latest(self, currency: str) -> Rate | None:
        """The newest rate of `currency`, or None."""
        ...


def parse_rate(text: str) -> int:
    """`text` ("87.45", "1.0895") as an integer at `RATE_SCALE`; ValueError if it is not a
    positive decimal of at most `RATE_DECIMALS` places."""
    match = _RATE_TEXT.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"rate {text!r} is not a decimal with at most {RATE_DECIMALS} places")
    whole, fraction = match.group(1), match.group(2) or ""
    value = int(whole) * RATE_SCALE + int(fraction.ljust(RATE_DECIMALS, "0"))
    if value <= 0:
        raise ValueError(f"rate {text!r} must be positive")
    return value


def format_rate(som_e6: int) -> str:
    """A rate as decimal text with all its places."""
    return f"{som_e6 // RATE_SCALE}.{som_e6 % RATE_SCALE:06d}"


def reference_rate(rates: ReferenceRates, currency: str, today: date,
                   age_max_days: int = RATE_AGE_MAX_DAYS_DEFAULT) -> Rate:
    """The rate to price against today: `RateMissing` without one, `RateStale` if older
    than `age_max_days` (or dated in the future, which no official rate is)."""
    rate = rates.latest(currency)
    if rate is None:
        raise RateMissing(f"no reference rate for {currency}", currency=currency)
    age_days = (today - rate.on).days
    if age_days > age_max_days or age_days < 0:
        raise RateStale(f"the {currency} reference rate of {rate.on.isoformat()} is {age_days} days old "
                        f"(at most {age_max_days})", currency=currency, rate_date=rate.on.isoformat())
    return rate


class FileRates:
    """`ReferenceRates` read once from a CSV (`date,currency,rate` header) or JSON file (a
    list of objects with those keys); `.json` by its suffix, CSV otherwise."""

    def __init__(self, rates: Iterable[Rate]) -> None:
        newest: dict[str, Rate] = {}
        for rate in rates:
            if rate.currency not in newest or rate.on > newest[rate.currency].on:
                newest[rate.currency] = rate
        self._newest: Mapping[str, Rate] = newest

    @classmethod
    def from_path(cls, path: Path) -> FileRates:
        """Read `path`; `RatesFileInvalid` naming the line or entry that does not parse."""
        raw = path.read_bytes()
        if len(raw) > RATES_FILE_BYTES_MAX:
            raise RatesFileInvalid(f"{path.name} is over {RATES_FILE_BYTES_MAX} bytes")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RatesFileInvalid(f"{path.name} is not UTF-8") from exc
        return cls(parse_json(text) if path.suffix.lower() == ".json" else parse_csv(text))

    def latest(self, currency: str) -> Rate | None:
        """The newest rate of `currency` in the file."""
        return self._newest.get(currency)


def parse_csv(text: str) -> list[Rate]:
    """The rates of a CSV text with the header `date,currency,rate`."""
    reader = csv.DictReader(io.StringIO(text))
    try:
        if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != ["date", "currency", "rate"]:
            raise RatesFileInvalid("the header must be date,currency,rate")
        return [_rate(row, f"line {number}") for number, row in enumerate(reader, start=2)]
    except csv.Error as exc:  # e.g. a bare carriage return inside a field
        raise RatesFileInvalid(f"not CSV at line {reader.line_num}: {exc}") from exc


def parse_json(text: str) -> list[Rate]:
    """The rates of a JSON list of {"date", "currency", "rate"}; a numeric rate is read
    from its literal text, never through a float."""
    try:
        entries = json.loads(text, parse_float=str, parse_int=str)
    except json.JSONDecodeError as exc:
        raise RatesFileInvalid(f"not JSON: {exc.msg} at line {exc.lineno}") from exc
    except RecursionError as exc:
        raise RatesFileInvalid("not JSON: nested too deeply") from exc
    if not isinstance(entries, list):
        raise RatesFileInvalid("a JSON rates file is a list of {date, currency, rate}")
    return [_rate(entry, f"entry {index}") for index, entry in enumerate(entries)]


def _rate(entry: object, where: str) -> Rate:
    if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in ("date", "currency", "rate")):
        raise RatesFileInvalid(f"{where}: needs date, currency and rate")
    currency = entry["currency"].strip().upper()
    if currency not in SOURCE_CURRENCIES:
        raise RatesFileInvalid(f"{where}: unknown currency {currency!r}")
    try:
        on = date.fromisoformat(entry["date"].strip())
        som_e6 = parse_rate(entry["rate"])
    except ValueError as exc:
        raise RatesFileInvalid(f"{where}: {exc}") from exc
    return Rate(currency, on, som_e6)
