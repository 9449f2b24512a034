"""The clock every domain uses by default, and how the tables store time.

An operation takes its clock as an argument (tests and demos pass a fixed one); this is
only the wall clock they default to, and the one text form of a moment: ISO 8601 in UTC
with microseconds and a `Z`, so stored times sort as text.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The wall clock in UTC."""
    return datetime.now(UTC)


def iso_utc(moment: datetime) -> str:
    """`moment` as the tables store time, e.g. `2026-12-07T02:55:13.000000Z`."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def utc_now_iso() -> str:
    """Now, as the tables store time."""
    return iso_utc(utc_now())
