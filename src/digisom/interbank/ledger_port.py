"""What the RTGS needs from the ledger. `digisom.ledger.service.Ledger` fits as it is;
the entry point passes one in (one writer of the RTGS per database, see docs/interbank.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from digisom.errors import invariant
from digisom.kernel.results import ACCOUNT_OK
from digisom.ledger.model import Account, AccountFilter, Transfer
from digisom.ledger.results import CreateAccountResult, CreateTransferResult


class LedgerGateway(Protocol):
    """Creates accounts and transfers in batches and reads them back."""

    def create_accounts(self, events: Sequence[Account]) -> list[CreateAccountResult]:
        """One result per account, in order."""
        ...

    def create_transfers(self, events: Sequence[Transfer]) -> list[CreateTransferResult]:
        """One result per transfer, in order; linked chains all-or-nothing."""
        ...

    def lookup_accounts(self, ids: Sequence[int]) -> list[Account]:
        """The accounts that exist among `ids`."""
        ...

    def lookup_transfers(self, ids: Sequence[int]) -> list[Transfer]:
        """The transfers that exist among `ids`."""
        ...

    def get_account_transfers(self, query: AccountFilter) -> list[Transfer]:
        """A page of an account's transfers, by timestamp."""
        ...


def ensure_accounts(ledger: LedgerGateway, accounts: Sequence[Account]) -> None:
    """Create `accounts` (existing ones are fine); anything else is a wiring bug."""
    for account, result in zip(accounts, ledger.create_accounts(accounts), strict=True):
        invariant(result in ACCOUNT_OK, f"ledger account {account.id:x} (code {account.code}): {result.name}")
