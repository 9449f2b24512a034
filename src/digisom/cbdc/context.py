"""What every digital-som operation needs, passed in by the entry point (no globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from digisom.cbdc.accounts import CBDC_MONEY
from digisom.cbdc.ledger_port import LedgerPort
from digisom.cbdc.policy import Policy
from digisom.cbdc.ports import HolderScreening
from digisom.kernel.circulation import MoneyChart
from digisom.kernel.clock import iso_utc, utc_now
from digisom.kernel.locks import SharedLocks


@dataclass(frozen=True)
class Context:
    """The domain's dependencies: its database, the ledger, the tier policy, the screening
    of wallet holders (no default: `ports.NO_HOLDER_SCREENING` says "none"), a clock, and
    the money chart the issuance summary audits (every domain's holding codes, from the
    entry point; this domain's own by default).

    `locks` are the per-wallet locks: operations that read a balance to plan a chain
    (holding limit, waterfall) run one at a time per wallet, in every API process on the
    database, while different wallets still go in parallel. `issuance_locks`, one per
    issuance event, keep start-up recovery off an event another process is finishing."""

    engine: Engine
    ledger: LedgerPort
    policy: Policy
    screening: HolderScreening
    clock: Callable[[], datetime] = utc_now
    money: MoneyChart = CBDC_MONEY
    locks: SharedLocks = field(init=False)
    issuance_locks: SharedLocks = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "locks", SharedLocks("cbdc.wallet", self.engine))
        object.__setattr__(self, "issuance_locks", SharedLocks("cbdc.issuance", self.engine))

    def now_iso(self) -> str:
        """The current time as an ISO 8601 UTC string (how the tables store time)."""
        return iso_utc(self.clock())
