"""A test double of the alias directory: PINs of known people and where they are paid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from digisom.disbursement.ports import DIRECTORY_LOOKUP_MAX, Channel, Destination, DirectCredits, SourceWallet


@dataclass
class FakeDirectory:
    """Known PINs by destination; counts lookups to prove they are batched.

    `benefit_accounts[scheme][pin]` is a wallet holder's benefit account of a purpose-bound
    scheme: asked for that scheme, the directory answers it instead of the wallet (as the
    digital som domain's adapter does).
    """

    known: dict[str, Destination] = field(default_factory=dict)
    benefit_accounts: dict[str, dict[str, int]] = field(default_factory=dict)
    calls: int = 0
    schemes_asked: list[str] = field(default_factory=list)

    def resolve(self, pins: Sequence[str], benefit_scheme: str = "") -> Mapping[str, Destination]:
        assert len(pins) <= DIRECTORY_LOOKUP_MAX
        self.calls += 1
        self.schemes_asked.append(benefit_scheme)
        accounts = self.benefit_accounts.get(benefit_scheme, {})
        found = {}
        for pin in pins:
            destination = self.known.get(pin)
            if destination is None:
                continue
            if destination.channel is Channel.WALLET and pin in accounts:
                destination = Destination(Channel.WALLET, accounts[pin])
            found[pin] = destination
        return found


TREASURY_WALLET = "wtreasuryaaaaaaaaaaaaaaaaaa"  # the government wallet programmes pay from


@dataclass
class FakeSources(DirectCredits):
    """The digital som's wallets as `SourceWallets` sees them: `TREASURY_WALLET` (a
    government wallet on ledger account `account_id`) and any others a test adds."""

    account_id: int
    wallets: dict[str, SourceWallet] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.wallets.setdefault(TREASURY_WALLET, SourceWallet(TREASURY_WALLET, self.account_id, True, False, False))

    def source_wallet(self, wallet_id: str) -> SourceWallet | None:
        return self.wallets.get(wallet_id)

    def freeze(self, wallet_id: str) -> None:
        self.wallets[wallet_id] = replace(self.wallets[wallet_id], frozen=True)
