"""What the RTGS needs from the ledger. `digisom.ledger.service.Ledger` fits as it is;
the entry point passes one in (one writer of the RTGS per database, see docs/interbank.md),
and the RTGS context keeps it only behind the interbank domain's ledger gateway
(`gated`): the RTGS posts only its own transfer codes, debiting only what the chart of
accounts lets it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from digisom.errors import invariant
from digisom.kernel.chart import CHART, Domain
from digisom.kernel.gateway import GatedLedger, LedgerWriter
from digisom.kernel.results import ACCOUNT_OK
from digisom.ledger.model import Account, AccountFilter, Transfer


class LedgerAccess(LedgerWriter, Protocol):
    """Creates accounts and transfers in batches and reads them back."""

    def lookup_transfers(self, ids: Sequence[int]) -> list[Transfer]:
        """The transfers that exist among `ids`."""
        ...

    def get_account_transfers(self, query: AccountFilter) -> list[Transfer]:
        """A page of an account's transfers, by timestamp."""
        ...


class _GatedAccess(GatedLedger):
    """`LedgerAccess` whose transfers pass the interbank gateway."""

    def __init__(self, ledger: LedgerAccess) -> None:
        super().__init__(Domain.INTERBANK, CHART, ledger)
        self._reads = ledger

    def get_account_transfers(self, query: AccountFilter) -> list[Transfer]:
        """A page of an account's transfers, by timestamp."""
        return self._reads.get_account_transfers(query)


def gated(ledger: LedgerAccess) -> LedgerAccess:
    """`ledger` behind the interbank domain's gateway (as it is if it already is)."""
    return ledger if isinstance(ledger, _GatedAccess) else _GatedAccess(ledger)


def ensure_accounts(ledger: LedgerAccess, accounts: Sequence[Account]) -> None:
    """Create `accounts` (existing ones are fine); anything else is a wiring bug."""
    for account, result in zip(accounts, ledger.create_accounts(accounts), strict=True):
        invariant(result in ACCOUNT_OK, f"ledger account {account.id:x} (code {account.code}): {result.name}")
