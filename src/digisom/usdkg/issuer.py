"""The issuer's services on one database, built once for the API and the command line:
the register, the price book, the audits, the coverage rules, minting and redemption on
the chains, and the per-address bar lookup over the holders' balances (the published
allocation rule)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine

from digisom.kernel.locks import SharedLock
from digisom.usdkg import allocation
from digisom.usdkg.audits import Audits
from digisom.usdkg.coverage import Coverage, CoveragePolicy, SupplyReader
from digisom.usdkg.errors import HoldersNotIndexed
from digisom.usdkg.issuing import MINT_LOCK, TokenChain, UsdkgIssuer
from digisom.usdkg.migrations import migrate
from digisom.usdkg.operations import Operations
from digisom.usdkg.price_book import PriceBook
from digisom.usdkg.register import BarRegister


class HolderBalances(Protocol):
    """USDKG's holders on every chain, as each chain says: address -> token units (an
    address on several chains holds the sum)."""

    def balances_units(self) -> Mapping[str, int]:
        """Every holder with a positive balance."""
        ...


@dataclass(frozen=True, slots=True)
class Lookup:
    """Which bars back an address's tokens, at the newest published price."""

    address: str
    price_cents_per_oz: int | None  # None before any price
    backing: allocation.HolderBacking


def address_key(address: str) -> str:
    """How an address is compared: EVM addresses in lower case (their checksum case is
    not part of the address), others as written (TRON's base58 is case-sensitive)."""
    return address.lower() if address.startswith("0x") else address


@dataclass(frozen=True, slots=True)
class Issuer:
    """USDKG's issuer services; `clock` is the issuer's wall clock."""

    engine: Engine
    register: BarRegister
    prices: PriceBook
    audits: Audits
    coverage: Coverage
    minting: UsdkgIssuer  # the one mint and redeem path
    holders: HolderBalances | None  # None: no holder index is configured
    policy: CoveragePolicy
    clock: Callable[[], datetime]

    def lookup(self, address: str) -> Lookup:
        """The bars behind `address` by the allocation rule (`allocation.allocate`) over the
        bars in the vaults, every holder's balance and the newest price (stale or not: the
        lookup shows backing, it decides nothing); before any price nothing is backed.
        Without a holder index the rule cannot be applied: refused, never guessed."""
        if self.holders is None:
            raise HoldersNotIndexed("no holder index is configured: the allocation needs every holder's balance")
        balances: dict[str, int] = {}
        for holder, units_ in self.holders.balances_units().items():
            balances[address_key(holder)] = balances.get(address_key(holder), 0) + units_
        key = address_key(address)
        price = self.prices.latest()
        if price is None:  # no price, no value: nothing is backed yet
            balance = balances.get(key, 0)
            return Lookup(address, None, allocation.HolderBacking(key, balance, (), balance))
        bars = [(bar.serial, bar.fine_moz) for bar in self.register.bars()]
        backing = allocation.allocate(bars, balances, price.price_cents_per_oz).get(
            key, allocation.HolderBacking(key, 0, (), 0)
        )
        return Lookup(address, price.price_cents_per_oz, backing)


def build(
    engine: Engine,
    supply: SupplyReader,
    tokens: Mapping[int, TokenChain],
    holders: HolderBalances | None,
    refiners: Collection[str],
    policy: CoveragePolicy,
    clock: Callable[[], datetime],
) -> Issuer:
    """The issuer's services on `engine`, its migrations applied; mints on `tokens` under
    the shared mint lock."""
    migrate(engine)
    register = BarRegister(engine, refiners)
    prices = PriceBook(engine, policy.price_staleness_s)
    audits = Audits(engine, register)
    coverage = Coverage(engine, register, prices, audits, supply, policy)
    minting = UsdkgIssuer(coverage, Operations(engine), tokens, SharedLock(MINT_LOCK, engine), clock)
    return Issuer(engine, register, prices, audits, coverage, minting, holders, policy, clock)
