"""The digital som's scope rules by wallet id, for other domains' routes
(`digisom.http.wallet_access.WalletAccess`, filled by the composition root)."""

from __future__ import annotations

from digisom.cbdc import access, wallets
from digisom.cbdc.context import Context
from digisom.kernel.access import Actor


class CbdcWalletAccess:
    """`WalletAccess` over the digital som's wallets."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def require_read(self, actor: Actor, wallet_id: str) -> None:
        access.require_read(actor, wallets.load(self._ctx, wallet_id))

    def require_operate(self, actor: Actor, wallet_id: str) -> None:
        access.require_operate(actor, wallets.load(self._ctx, wallet_id))

    def require_bank(self, actor: Actor, wallet_id: str) -> None:
        access.require_bank(actor, wallets.load(self._ctx, wallet_id))
