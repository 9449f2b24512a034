"""Wiring of USDKG: the issuer's services on the app's database, the token on each
configured chain (the chain adapter's `UsdkgChainToken`), and the holder index.

The supply is read from each configured chain (`chain.usdkg.read_supplies`: each chain
must report the id it is configured under, all in 6 decimals), never from our own books.
A process with no chain configured reads a supply of 0 and says so: the figure's
`chains` is `[]`, so a reader never mistakes "no chain read" for "nothing issued". The
chain adapter's errors become USDKG's typed refusals here (the domain does not import
the chain package)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from fastapi import FastAPI
from sqlalchemy import Engine

from digisom.http.services import provide
from digisom.usdkg import issuer as issuer_services
from digisom.usdkg import units
from digisom.usdkg.coverage import CoveragePolicy
from digisom.usdkg.errors import ChainRefused, ChainUnavailable, InvalidAmount
from digisom.usdkg.http.slots import USDKG
from digisom.usdkg.issuer import HolderBalances
from digisom.usdkg.refiners import SYNTHETIC_REFINERS

if TYPE_CHECKING:
    from digisom.chain.usdkg import UsdkgChainToken

T = TypeVar("T")


class ChainSupply:
    """`SupplyReader` over the configured chains (chain id -> the token there)."""

    def __init__(self, tokens: Mapping[int, UsdkgChainToken]) -> None:
        self._tokens = dict(tokens)

    def supply_units_by_chain(self) -> Mapping[int, int]:
        """Chain id -> total supply, read now; empty when no chain is configured."""
        if not self._tokens:
            return {}
        # The chain adapter (and the EVM stack under it) loads only when a chain is configured.
        from digisom.chain.errors import ChainError  # noqa: PLC0415
        from digisom.chain.usdkg import read_supplies  # noqa: PLC0415

        try:
            supplies = read_supplies(self._tokens)
        except ChainError as error:
            raise ChainUnavailable(f"the supply could not be read: {type(error).__name__}: {error}") from error
        if supplies.decimals != units.TOKEN_DECIMALS:
            raise ChainUnavailable(f"USDKG is deployed with {supplies.decimals} decimals, not {units.TOKEN_DECIMALS}")
        return supplies.by_chain_token_units


class ChainToken:
    """`minting.TokenChain` over the chain adapter's token, its errors typed for USDKG."""

    def __init__(self, token: UsdkgChainToken) -> None:
        self._token = token

    @property
    def redemption_address(self) -> str:
        """Where holders send USDKG to redeem it."""
        return self._token.redemption_address

    def balance_of(self, holder: str) -> int:
        """A holder's balance in token units."""
        return self._call(lambda: self._token.balance_of(holder))

    def mint(self, to: str, amount_token_units: int) -> str:
        """Issue, once confirmed."""
        return self._call(lambda: self._token.mint(to, amount_token_units))

    def burn(self, amount_token_units: int) -> str:
        """Burn from the redemption address, once confirmed."""
        return self._call(lambda: self._token.burn(amount_token_units))

    @staticmethod
    def _call(act: Callable[[], T]) -> T:
        from digisom.chain.errors import ChainError, TransactionReverted  # noqa: PLC0415 - loaded with the token
        from digisom.chain.token import InvalidTokenAddress, InvalidTokenAmount  # noqa: PLC0415

        try:
            return act()
        except (InvalidTokenAddress, InvalidTokenAmount) as error:
            raise InvalidAmount(str(error)) from error
        except TransactionReverted as error:
            raise ChainRefused(f"the contract refused: {error.reason}") from error
        except ChainError as error:
            raise ChainUnavailable(f"{type(error).__name__}: {error}") from error


def build_issuer(
    engine: Engine,
    clock: Callable[[], datetime],
    tokens: Mapping[int, UsdkgChainToken] | None = None,
    holders: HolderBalances | None = None,
    refiners: Collection[str] = SYNTHETIC_REFINERS,
    policy: CoveragePolicy | None = None,
) -> issuer_services.Issuer:
    """The issuer's services on `engine` (migrated), on the `tokens` configured (none:
    supply 0, `chains: []`, nothing to mint on); the lookup needs `holders`."""
    configured = dict(tokens or {})
    return issuer_services.build(
        engine,
        ChainSupply(configured),
        {chain_id: ChainToken(token) for chain_id, token in configured.items()},
        holders,
        refiners,
        policy or CoveragePolicy(),
        clock,
    )


def attach(app: FastAPI, engine: Engine, clock: Callable[[], datetime],
           tokens: Mapping[int, UsdkgChainToken] | None = None,
           holders: HolderBalances | None = None) -> issuer_services.Issuer:
    """Build the issuer's services and fill the USDKG routes' slot."""
    built = build_issuer(engine, clock, tokens, holders)
    provide(app, USDKG, built)
    return built
