"""The RTGS day: opening, cut-off times and close, in Bishkek time.

Kyrgyzstan keeps UTC+6 all year (no daylight saving since 2005), so a fixed offset is
exact and needs no time-zone database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Final

from digisom.interbank.iso20022.registry import MessageType

BISHKEK: Final = timezone(timedelta(hours=6), "Asia/Bishkek")


@dataclass(frozen=True, slots=True)
class Schedule:
    """When the RTGS takes which payments. Customer payments (pacs.008) stop an hour
    before bank-to-bank ones (pacs.009, returns), so banks can square their positions
    in the last hour; end of day may run from the interbank cut-off on."""

    opening: time = time(9, 0)
    customer_cutoff: time = time(16, 0)
    interbank_cutoff: time = time(17, 0)

    def local(self, moment: datetime) -> datetime:
        """`moment` in Bishkek time."""
        return moment.astimezone(BISHKEK)

    def business_date(self, moment: datetime) -> date:
        """The calendar date in Bishkek at `moment`."""
        return self.local(moment).date()

    def seconds_since_opening(self, moment: datetime) -> int:
        """Seconds since the opening of `moment`'s day (negative before it)."""
        local = self.local(moment)
        opened = datetime.combine(local.date(), self.opening, BISHKEK)
        return int((local - opened).total_seconds())

    def cutoff(self, message_type: MessageType) -> time:
        """The last moment of the day a message of `message_type` is taken."""
        return self.customer_cutoff if message_type is MessageType.PACS_008 else self.interbank_cutoff

    def is_open_for(self, message_type: MessageType, moment: datetime) -> bool:
        """Whether a message of `message_type` arriving at `moment` is within the day's hours."""
        local = self.local(moment).time()
        return self.opening <= local < self.cutoff(message_type)

    def may_close(self, day: date, moment: datetime) -> bool:
        """Whether end of day for `day` may run at `moment` (after the interbank cut-off)."""
        return self.local(moment) >= datetime.combine(day, self.interbank_cutoff, BISHKEK)


DEFAULT_SCHEDULE: Final = Schedule()
