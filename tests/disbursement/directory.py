"""A test double of the alias directory: PINs of known people and where they are paid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from digisom.disbursement.ports import DIRECTORY_LOOKUP_MAX, Channel, Destination


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
