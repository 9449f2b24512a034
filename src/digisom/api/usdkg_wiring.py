"""Wiring of USDKG: the issuer's services on the app's database, and the chains whose
supply and holders coverage and the bar lookup read.

The supply is read from each configured chain, never from our own books. A process with
no chain configured reads a supply of 0 and says so: the figure's `chains` is `[]`, so a
reader never mistakes "no chain read" for "nothing issued"."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Protocol

from fastapi import FastAPI
from sqlalchemy import Engine

from digisom.http.services import provide
from digisom.usdkg import issuer as issuer_services
from digisom.usdkg.coverage import CoveragePolicy
from digisom.usdkg.http.slots import USDKG
from digisom.usdkg.refiners import SYNTHETIC_REFINERS


class UsdkgChain(Protocol):
    """The USDKG token on one chain, as the chain adapter reads it."""

    def total_supply(self) -> int:
        """`totalSupply()` in token units."""
        ...

    def holder_balances(self) -> Mapping[str, int]:
        """Every holder's balance in token units (from the chain's `Transfer` logs)."""
        ...


class ChainReader:
    """`SupplyReader` and `HolderBalances` over the configured chains (chain id -> token)."""

    def __init__(self, chains: Mapping[int, UsdkgChain]) -> None:
        self._chains = dict(chains)

    def supply_units_by_chain(self) -> Mapping[int, int]:
        """Chain id -> total supply there, read now; empty when no chain is configured."""
        return {chain_id: token.total_supply() for chain_id, token in self._chains.items()}

    def balances_units(self) -> Mapping[str, int]:
        """Every holder on every chain (an address on several chains holds the sum)."""
        total: dict[str, int] = {}
        for token in self._chains.values():
            for address, units_ in token.holder_balances().items():
                total[address] = total.get(address, 0) + units_
        return total


def build_issuer(
    engine: Engine,
    clock: Callable[[], datetime],
    chains: Mapping[int, UsdkgChain] | None = None,
    refiners: Collection[str] = SYNTHETIC_REFINERS,
    policy: CoveragePolicy | None = None,
) -> issuer_services.Issuer:
    """The issuer's services on `engine` (migrated), reading `chains` (none: supply 0, `chains: []`)."""
    reader = ChainReader(chains or {})
    return issuer_services.build(engine, reader, reader, refiners, policy or CoveragePolicy(), clock)


def attach(app: FastAPI, engine: Engine, clock: Callable[[], datetime],
           chains: Mapping[int, UsdkgChain] | None = None) -> issuer_services.Issuer:
    """Build the issuer's services and fill the USDKG routes' slot."""
    built = build_issuer(engine, clock, chains)
    provide(app, USDKG, built)
    return built
