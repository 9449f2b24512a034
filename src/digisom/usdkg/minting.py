"""Minting and redemption on the chains, gated by coverage.

A mint holds the issuer's mint lock (`kernel.locks.SharedLock("usdkg-mint")`, across
every process on PostgreSQL) from the coverage check to the confirmed mint, so two mints
cannot both fill the same room (ADR 0005): `may_mint` reads the supply from the chains,
and the next mint's check reads it again only after this one is on chain. A redemption
burns what holders sent to the redemption address, under the same lock; the custodian
then withdraws bars (`Coverage.withdraw`), which checks the floor again."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from digisom.usdkg.coverage import Coverage, CoverageFigure
from digisom.usdkg.errors import InvalidAmount, RedemptionRefused, UnknownChain


class TokenChain(Protocol):
    """USDKG on one chain, as the chain adapter drives it (`digisom.chain.usdkg.UsdkgChainToken`)."""

    @property
    def redemption_address(self) -> str:
        """Where holders send USDKG to redeem it."""
        ...

    def balance_of(self, holder: str) -> int:
        """A holder's balance in token units."""
        ...

    def mint(self, to: str, amount_token_units: int) -> str:
        """Issue; the transaction id once confirmed."""
        ...

    def burn(self, amount_token_units: int) -> str:
        """Burn from the redemption address; the transaction id once confirmed."""
        ...


@dataclass(frozen=True, slots=True)
class ChainTransaction:
    """A confirmed mint or burn, and the coverage figure before it."""

    chain_id: int
    tx_id: str
    amount_units: int
    figure: CoverageFigure


@dataclass(frozen=True, slots=True)
class Minting:
    """Mints and redemptions on the configured chains."""

    coverage: Coverage
    tokens: Mapping[int, TokenChain]
    lock: AbstractContextManager[None]
    clock: Callable[[], datetime]

    def _token(self, chain_id: int) -> TokenChain:
        token = self.tokens.get(chain_id)
        if token is None:
            raise UnknownChain(f"USDKG is not configured on chain {chain_id}")
        return token

    def mint(self, chain_id: int, to: str, amount_units: int) -> ChainTransaction:
        """Mint `amount_units` to `to` on `chain_id` if coverage allows it (refused naming the rule)."""
        token = self._token(chain_id)
        with self.lock:
            figure = self.coverage.may_mint(amount_units, self.clock())
            tx_id = token.mint(to, amount_units)
        return ChainTransaction(chain_id, tx_id, amount_units, figure)

    def redeem(self, chain_id: int, amount_units: int) -> ChainTransaction:
        """Burn `amount_units` that holders sent to the redemption address on `chain_id`."""
        if amount_units <= 0:
            raise InvalidAmount("a redemption is a positive number of token units")
        token = self._token(chain_id)
        with self.lock:
            figure = self.coverage.figure(self.clock())
            waiting = token.balance_of(token.redemption_address)
            if waiting < amount_units:
                raise RedemptionRefused(
                    f"{waiting} units wait at the redemption address on chain {chain_id}, not {amount_units}",
                    waiting_units=str(waiting),
                )
            tx_id = token.burn(amount_units)
        return ChainTransaction(chain_id, tx_id, amount_units, figure)
