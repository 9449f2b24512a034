"""Wiring of USDKG: the issuer's services on the app's database, the token on each
configured chain (the chain adapter's `UsdkgChainToken`), and the holder index.

The supply is read from each configured chain (`chain.usdkg.read_supplies`: each chain
must report the id it is configured under, all in 6 decimals), never from our own books.
A process with no chain configured reads a supply of 0 and says so: the figure's
`chains` is `[]`, so a reader never mistakes "no chain read" for "nothing issued". With
chains configured, the holder index is their `Transfer` logs (`chain.usdkg.read_holders`).
The chain adapter's errors become USDKG's typed refusals here (the domain does not import
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
from digisom.usdkg.errors import ChainRefused, ChainUnavailable, InvalidAddress, InvalidAmount
from digisom.usdkg.http.slots import USDKG
from digisom.usdkg.issuer import HolderBalances
from digisom.usdkg.refiners import SYNTHETIC_REFINERS

if TYPE_CHECKING:
    from digisom.chain.usdkg import UsdkgChainToken

T = TypeVar("T")


def _on_chain(what: str, act: Callable[[], T]) -> T:
    """`act` with the chain adapter's errors typed for USDKG: a bad address or amount, a
    revert (nothing changed: `ChainRefused`, 409), anything else the node did or did not
    do (`ChainUnavailable`, 503: the outcome is unknown)."""
    # The chain adapter (and the EVM stack under it) loads only when a chain is configured.
    from digisom.chain.errors import ChainError, TransactionReverted  # noqa: PLC0415
    from digisom.chain.token import InvalidTokenAddress, InvalidTokenAmount  # noqa: PLC0415

    try:
        return act()
    except InvalidTokenAddress as error:
        raise InvalidAddress(f"{what}: {error}") from error
    except InvalidTokenAmount as error:
        raise InvalidAmount(f"{what}: {error}") from error
    except TransactionReverted as error:
        raise ChainRefused(f"{what}: the contract refused: {error.reason}", reason=error.reason) from error
    except ChainError as error:
        raise ChainUnavailable(f"{what}: {type(error).__name__}: {error}") from error


class ChainSupply:
    """`SupplyReader` over the configured chains (chain id -> the token there)."""

    def __init__(self, tokens: Mapping[int, UsdkgChainToken]) -> None:
        self._tokens = dict(tokens)

    def supply_units_by_chain(self) -> Mapping[int, int]:
        """Chain id -> total supply, read now; empty when no chain is configured."""
        if not self._tokens:
            return {}
        from digisom.chain.usdkg import read_supplies  # noqa: PLC0415

        supplies = _on_chain("the supply could not be read", lambda: read_supplies(self._tokens))
        if supplies.decimals != units.TOKEN_DECIMALS:
            raise ChainUnavailable(f"USDKG is deployed with {supplies.decimals} decimals, not {units.TOKEN_DECIMALS}")
        return supplies.by_chain_token_units


class ChainHolders:
    """`HolderBalances` over the configured chains: every holder's balance rebuilt from
    each chain's `Transfer` logs, read afresh for each lookup."""

    def __init__(self, tokens: Mapping[int, UsdkgChainToken]) -> None:
        self._tokens = dict(tokens)

    def balances_units(self) -> Mapping[str, int]:
        """Address -> token units over every chain."""
        from digisom.chain.usdkg import read_holders  # noqa: PLC0415

        return _on_chain("the holders could not be read", lambda: read_holders(self._tokens))


class ChainToken:
    """`issuing.TokenChain` over the chain adapter's token, its errors typed for USDKG."""

    def __init__(self, chain_id: int, token: UsdkgChainToken) -> None:
        self._chain_id = chain_id
        self._token = token

    @property
    def redemption_address(self) -> str:
        """Where holders send USDKG to redeem it."""
        return self._token.redemption_address

    def balance_of(self, holder: str) -> int:
        """A holder's balance in token units."""
        return _on_chain(f"chain {self._chain_id}", lambda: self._token.balance_of(holder))

    def mint(self, to: str, amount_token_units: int) -> str:
        """Issue, once confirmed."""
        return _on_chain(f"chain {self._chain_id} (mint)", lambda: self._token.mint(to, amount_token_units))

    def burn(self, amount_token_units: int) -> str:
        """Burn from the redemption address, once confirmed."""
        return _on_chain(f"chain {self._chain_id} (burn)", lambda: self._token.burn(amount_token_units))


def build_issuer(
    engine: Engine,
    clock: Callable[[], datetime],
    tokens: Mapping[int, UsdkgChainToken] | None = None,
    holders: HolderBalances | None = None,
    refiners: Collection[str] = SYNTHETIC_REFINERS,
    policy: CoveragePolicy | None = None,
) -> issuer_services.Issuer:
    """The issuer's services on `engine` (migrated), on the `tokens` configured (none:
    supply 0, `chains: []`, nothing to mint on). The lookup reads `holders`, else the
    configured chains' `Transfer` logs; with neither it is refused."""
    configured = dict(tokens or {})
    if holders is None and configured:
        holders = ChainHolders(configured)
    return issuer_services.build(
        engine,
        ChainSupply(configured),
        {chain_id: ChainToken(chain_id, token) for chain_id, token in configured.items()},
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
