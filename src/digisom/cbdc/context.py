"""What every digital-som operation needs, passed in by the entry point (no globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine

from digisom.cbdc.accounts import CBDC_MONEY
from digisom.cbdc.ledger_port import LedgerPort
from digisom.cbdc.locks import WalletLocks
from digisom.cbdc.policy import Policy
from digisom.kernel.circulation import MoneyChart


def utc_now() -> datetime:
    """The wall clock in UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Context:
    """The domain's dependencies: its database, the ledger, the tier policy, a clock, and
    the money chart the issuance summary audits (every domain's holding codes, from the
    entry point; this domain's own by default)."""

    engine: Engine
    ledger: LedgerPort
    policy: Policy
    locks: WalletLocks = field(default_factory=WalletLocks)
    clock: Callable[[], datetime] = utc_now
    money: MoneyChart = CBDC_MONEY

    def now_iso(self) -> str:
        """The current time as an ISO 8601 UTC string (how the tables store time)."""
        return self.clock().astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
