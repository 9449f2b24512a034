"""A test double of the digital som's alias directory (`AliasResolver`), until
`CbdcService.resolve_aliases` is wired: known personal numbers and where they are paid."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class FakeTarget:
    """Shaped like `digisom.cbdc`'s `AliasTarget`."""

    channel: str
    account_id: int
    bank_code: str
    wallet_id: str | None = None
    bank_account: str | None = None


@dataclass
class FakeResolver:
    """Targets by personal number; benefit accounts by (scheme, wallet); records its calls."""

    targets: dict[str, FakeTarget] = field(default_factory=dict)
    benefit_accounts: dict[tuple[str, str], int] = field(default_factory=dict)
    benefit_calls: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def resolve_aliases(self, personal_numbers: Sequence[str]) -> Mapping[str, FakeTarget]:
        return {pin: self.targets[pin] for pin in personal_numbers if pin in self.targets}

    def benefit_account_ids(self, scheme_id: str, wallet_ids: Sequence[str]) -> Mapping[str, int]:
        self.benefit_calls.append((scheme_id, tuple(wallet_ids)))
        if scheme_id == "expired":
            raise LookupError("benefit scheme 'expired' is not active")
        return {w: self.benefit_accounts[(scheme_id, w)] for w in wallet_ids if (scheme_id, w) in self.benefit_accounts}

    def recipient_wallets(self, payees: Sequence[tuple[str, int]], benefit_scheme_id: str | None
                          ) -> Mapping[str, str]:
        found: dict[str, str] = {}
        for pin, account_id in payees:
            target = self.targets.get(pin)
            if target is None or target.wallet_id is None:
                continue
            named = (self.benefit_accounts.get((benefit_scheme_id, target.wallet_id)) if benefit_scheme_id
                     else target.account_id)
            if named == account_id:
                found[pin] = target.wallet_id
        return found
