"""What the offline domain needs from outside it, as protocols the entry point wires.

The offline domain never imports another domain: a wallet's ledger account and its
bank's float come through `WalletDirectory` (the digital som implements it), and the
ledger through `digisom.kernel.gateway.LedgerWriter` (a `digisom.ledger.service.Ledger`
satisfies it as is), which the service keeps only behind the offline domain's ledger
gateway.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class WalletRef:
    """A digital som wallet as the offline domain sees it."""

    wallet_id: str
    account_id: int  # the wallet's ledger account (credit-normal, may not go negative)
    bank_code: str  # the wallet's commercial bank: the only issuer of its devices' certificates
    usable: bool  # neither frozen nor closed


class WalletDirectory(Protocol):
    """Looks up wallets and bank floats of the digital som."""

    def wallet(self, wallet_id: str) -> WalletRef | None:
        """The wallet, or None if there is no such wallet."""
        ...

    def bank_float_account_id(self, bank_code: str) -> int:
        """The ledger account holding the bank's own digital som (pays the guarantee)."""
        ...

    def held_wallets(self, wallet_ids: Sequence[str]) -> AbstractContextManager[None]:
        """Hold the wallets' locks (the digital som's, shared by every API process) for a
        block that reads their state and posts credits to them: a freeze lands before the
        read or after the posting (`digisom.cbdc.credits`)."""
        ...
