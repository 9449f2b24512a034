"""What this domain needs from others, as small protocols that an entry point wires.

The alias directory (kept by the banks, owned by the digital som domain) resolves a
recipient's personal number (PIN) to where they can be paid. This domain never imports
`digisom.cbdc`; it asks through `RecipientDirectory`, and what it must know of the
wallet a programme pays from through `SourceWallets`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
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


class CreditRefusal(StrEnum):
    """Why a recipient's wallet may not be credited now: the payment is rejected with this
    reason (the run's report shows it), the money stays with the source, and a re-payment
    may try again later."""

    FROZEN = "recipient_frozen"
    CLOSED = "recipient_closed"
    UNKNOWN = "recipient_unknown"  # the PIN no longer names the wallet the file was resolved to


@dataclass(frozen=True, slots=True)
class Payee:
    """One payment of a batch to a wallet (or a wallet's benefit account), as resolved at upload."""

    pin: str
    account_id: int
    amount_tyiyn: int


@dataclass(frozen=True, slots=True)
class CreditLeg:
    """One ledger transfer of a payee's credit (the first is the payment's own transfer)."""

    debit_account_id: int
    credit_account_id: int
    amount_tyiyn: int
    code: int


Credit = tuple[CreditLeg, ...] | CreditRefusal


@dataclass(frozen=True, slots=True)
class HeldBatch:
    """The source wallet as it stands under the locks (None: no such wallet), and each
    payee's credit legs or refusal, in the order asked."""

    source: SourceWallet | None
    credits: Sequence[Credit]


class SourceWallets(Protocol):
    """The digital som's wallets, as a programme's source of funds and its payees' wallets."""

    def source_wallet(self, wallet_id: str) -> SourceWallet | None:
        """The wallet `wallet_id` as it stands now, or None if there is no such wallet."""
        ...

    def held_usable(
        self, wallet_id: str, payees: Sequence[Payee] = (), benefit_scheme: str = ""
    ) -> AbstractContextManager[HeldBatch]:
        """Hold the locks of the source wallet and of the payees' wallets for the block:
        the source as it stands, and how each payee is credited from it (planned from the
        balances under the locks; with a `benefit_scheme`, into benefit accounts)."""
        ...


class DirectCredits:
    """`held_usable` for sources whose payees' accounts obey no wallet rules (the bench's
    and tests' plain ledger accounts): each payee gets one transfer of the whole amount."""

    code: int = 30  # `model.TransferCode.DISBURSEMENT` (ports import nothing of the domain's)

    def source_wallet(self, wallet_id: str) -> SourceWallet | None:
        """The source as it stands now."""
        raise NotImplementedError

    @contextmanager
    def held_usable(
        self, wallet_id: str, payees: Sequence[Payee] = (), benefit_scheme: str = ""
    ) -> Iterator[HeldBatch]:
        """The source now and one plain credit per payee."""
        del benefit_scheme
        source = self.source_wallet(wallet_id)
        debit = source.account_id if source is not None else 0
        yield HeldBatch(source, [(CreditLeg(debit, p.account_id, p.amount_tyiyn, self.code),) for p in payees])


class TransferSink(Protocol):
    """The ledger's write side as this domain uses it (`digisom.ledger.service.Ledger` fits)."""

    def create_transfers(self, events: Sequence[Transfer]) -> list[CreateTransferResult]:
        """Create a batch of transfers; one result per event, in order."""
        ...
