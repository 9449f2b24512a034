"""What every RTGS operation needs, passed in by the entry point (no globals)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from sqlalchemy import Engine

from digisom.interbank.accounts import SettlementAccountFactory, own_settlement_account
from digisom.interbank.business_days import BusinessCalendar, load_calendar
from digisom.interbank.iso20022 import SchemaRegistry
from digisom.interbank.ledger_port import LedgerAccess, gated
from digisom.interbank.lsm import LSM_RULES, SettlementRules
from digisom.interbank.ports import PartyScreening
from digisom.interbank.schedule import DEFAULT_SCHEDULE, Schedule
from digisom.kernel.clock import iso_utc, utc_now
from digisom.kernel.locks import SharedLock

# The RTGS's own identifiers start with this (ISO Max35Text: 35 characters at most).
MESSAGE_ID_PREFIX: Final = "NBKR"


@dataclass(frozen=True)
class RtgsContext:
    """The RTGS's dependencies: its database, the ledger, the calendar and hours, a clock,
    and the screening of a pacs.008's debtor and creditor names (`screening`: keyword, no
    default; `ports.NO_PARTY_SCREENING` says "none" where a builder means it).

    `lock` serialises every use of the ledger, in every API process on the database: the
    engine decides on balances it just read, so two decisions must not interleave (one
    RTGS writer at a time per database), and a `Ledger` is not thread-safe.
    """

    engine: Engine
    ledger: LedgerAccess  # kept behind the interbank gateway (`ledger_port.gated`)
    settlement_account: SettlementAccountFactory = own_settlement_account
    calendar: BusinessCalendar = field(default_factory=load_calendar)
    schedule: Schedule = DEFAULT_SCHEDULE
    rules: SettlementRules = LSM_RULES
    registry: SchemaRegistry | None = None
    clock: Callable[[], datetime] = utc_now
    screening: PartyScreening = field(kw_only=True)
    lock: SharedLock = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ledger", gated(self.ledger))
        object.__setattr__(self, "lock", SharedLock("interbank.rtgs", self.engine))

    def now_iso(self) -> str:
        """The current time as ISO 8601 UTC."""
        return iso_utc(self.clock())

    def new_message_id(self, kind: str) -> str:
        """A fresh id for an outbound message, e.g. `NBKR-STS-3f…` (at most 35 characters)."""
        return f"{MESSAGE_ID_PREFIX}-{kind}-{uuid.uuid4().hex[:24]}"
