"""Reporting months and their deadlines.

A period is a calendar month `YYYY-MM`. A month can be reported once it is over; its
report is due by the end of `due_day` of the following month, in the reporting time zone
(Kyrgyzstan: UTC+6, no daylight saving since 2005). A report received later is late."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Final

# Day 28 is the last one every month has.
DUE_DAY_MAX: Final = 28
BISHKEK_UTC_OFFSET_MIN: Final = 6 * 60


@dataclass(frozen=True, slots=True)
class ReportingPolicy:
    """When reports are due: by the end of `due_day` of the month after the period, at
    UTC + `utc_offset_min`."""

    due_day: int = 15
    utc_offset_min: int = BISHKEK_UTC_OFFSET_MIN

    def __post_init__(self) -> None:
        if not 1 <= self.due_day <= DUE_DAY_MAX:
            raise ValueError(f"due_day must be 1..{DUE_DAY_MAX}, not {self.due_day}")

    @property
    def zone(self) -> timezone:
        """The reporting time zone."""
        return timezone(timedelta(minutes=self.utc_offset_min))


@dataclass(frozen=True, slots=True, order=True)
class Period:
    """A calendar month."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        """`YYYY-MM` (the schema's pattern has checked the shape)."""
        year, month = text.split("-")
        return cls(int(year), int(month))

    @classmethod
    def of(cls, day: date) -> Period:
        """The month `day` falls in."""
        return cls(day.year, day.month)

    def next(self) -> Period:
        """The following month."""
        return Period(self.year + self.month // 12, self.month % 12 + 1)

    def first_day(self) -> date:
        """Its first day."""
        return date(self.year, self.month, 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def current_period(now: datetime, policy: ReportingPolicy) -> Period:
    """The month `now` falls in, in the reporting time zone (not yet reportable)."""
    return Period.of(now.astimezone(policy.zone).date())


def due_at(period: Period, policy: ReportingPolicy) -> datetime:
    """The first instant after the deadline: a report received at or after it is late."""
    following = period.next().first_day()
    local = datetime(following.year, following.month, policy.due_day, tzinfo=policy.zone) + timedelta(days=1)
    return local.astimezone(UTC)


def is_late(period: Period, received_at: datetime, policy: ReportingPolicy) -> bool:
    """Whether a report of `period` received at `received_at` missed its deadline."""
    return received_at >= due_at(period, policy)
