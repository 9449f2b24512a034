"""What this domain needs from others, as small protocols that an entry point wires.

The alias directory (kept by the banks, owned by the digital som domain) resolves a
recipient's personal number (PIN) to where they can be paid. This domain never imports
`digisom.cbdc`; it asks through `RecipientDirectory`, and what it must know of the
wallet a programme pays from through `SourceWallets`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol

from digisom.ledger.model import Transfer
from digisom.ledger.results import CreateTransferResult

# PINs asked of the directory per call: one ledger batch's worth.
DIRECTORY_LOOKUP_MAX: Final = 8190


class Channel(StrEnum):
    """Where a recipient is paid."""

    WALLET = "wallet"
    BANK_ACCOUNT = "bank_account"
    NONE = "none"  # known person, no wallet and no bank account: held as unclaimed


@dataclass(frozen=True, slots=True)
class Destination:
    """A known recipient's destination: a ledger account id (0 when `channel` is NONE)."""

    channel: Channel
    account_id: int = 0


class RecipientDirectory(Protocol):
    """Resolves PINs; a PIN missing from the answer is unknown to the directory."""

    def resolve(self, pins: Sequence[str], benefit_scheme: str = "") -> Mapping[str, Destination]:
        """The destinations of the known PINs among `pins` (at most `DIRECTORY_LOOKUP_MAX`).

        With a `benefit_scheme` (a purpose-bound programme), a wallet holder's destination
        is their benefit account of that scheme rather than their wallet; "" is cash.
        """
        ...


@dataclass(frozen=True, slots=True)
class SourceWallet:
    """What this domain needs to know of a digital-som wallet to pay a programme from it."""

    wallet_id: str
    account_id: int  # the wallet's ledger account
    government: bool  # held by the treasury or a ministry (a registered public body)
    frozen: bool
    closed: bool  # closed or closing


class SourceWallets(Protocol):
    """The digital som's wallets, as a programme's source of funds."""

    def source_wallet(self, wallet_id: str) -> SourceWallet | None:
        """The wallet `wallet_id` as it stands now, or None if there is no such wallet."""
        ...


class TransferSink(Protocol):
    """The ledger's write side as this domain uses it (`digisom.ledger.service.Ledger` fits)."""

    def create_transfers(self, events: Sequence[Transfer]) -> list[CreateTransferResult]:
        """Create a batch of transfers; one result per event, in order."""
        ...
