"""Which wallets a caller may touch, for routes of domains that act on the digital som's
wallets by id (offline funding, taxes paid from a wallet): the rule is the digital som's
(`digisom.cbdc.access`); the composition root fills `WALLET_ACCESS` with it.

Each check refuses as the digital som does: a wallet the caller may not even read is the
very 404 of a wallet that does not exist, so no answer tells a bank another's customers."""

from __future__ import annotations

from typing import Final, Protocol

from fastapi import Request

from digisom.http.services import Slot, provided
from digisom.kernel.access import Actor


class WalletAccess(Protocol):
    """The digital som's scope rules, by wallet id."""

    def require_read(self, actor: Actor, wallet_id: str) -> None:
        """Refused unless `actor` may read the wallet."""
        ...

    def require_operate(self, actor: Actor, wallet_id: str) -> None:
        """Refused unless `actor` may move the wallet's value (its holder or its bank)."""
        ...

    def require_bank(self, actor: Actor, wallet_id: str) -> None:
        """Refused unless `actor` is an operator of the wallet's bank."""
        ...


WALLET_ACCESS: Final = Slot[WalletAccess]("wallets.access")


def wallet_access(request: Request) -> WalletAccess:
    """The wired scope rules."""
    return provided(request, WALLET_ACCESS)
