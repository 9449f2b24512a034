"""The RTGS business-day calendar: Monday to Friday, except the listed public holidays.

The holidays come from a data file (`data/holidays_kg.toml` by default), so the
operations team updates them without a code change. Dates outside the file's years are
refused rather than guessed: a wrong business day moves money on the wrong date.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Final

from digisom.errors import DigisomError

SATURDAY: Final = 5  # date.weekday(): Monday is 0
# A business day is found within this many days (the longest run of holidays plus a weekend).
SEARCH_DAYS_MAX: Final = 14


class CalendarError(DigisomError):
    """A calendar file that cannot be read, or a date outside the years it covers."""


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Which dates the RTGS opens on."""

    first_year: int
    last_year: int
    holidays: dict[date, str]

    def is_business_day(self, day: date) -> bool:
        """Whether the RTGS opens on `day` (a weekday that is not a listed holiday)."""
        if not self.first_year <= day.year <= self.last_year:
            raise CalendarError(f"{day} is outside the calendar's years {self.first_year}..{self.last_year}")
        return day.weekday() < SATURDAY and day not in self.holidays

    def next_business_day(self, day: date) -> date:
        """The first business day after `day`."""
        for offset in range(1, SEARCH_DAYS_MAX + 1):
            candidate = day + timedelta(days=offset)
            if self.is_business_day(candidate):
                return candidate
        raise CalendarError(f"no business day within {SEARCH_DAYS_MAX} days after {day}")


def load_calendar(path: Path | None = None) -> BusinessCalendar:
    """The calendar in `path`, or the bundled Kyrgyz one."""
    if path is None:
        text = resources.files("digisom.interbank.data").joinpath("holidays_kg.toml").read_text(encoding="utf-8")
    else:
        text = path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
        first, last = int(data["years"]["first"]), int(data["years"]["last"])
        holidays = {date.fromisoformat(str(key)): str(name) for key, name in data["holidays"].items()}
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as error:
        raise CalendarError(f"unreadable holiday calendar: {error}") from None
    outside = [d for d in holidays if not first <= d.year <= last]
    if outside:
        raise CalendarError(f"holidays outside the years {first}..{last}: {outside[:3]}")
    return BusinessCalendar(first, last, holidays)
