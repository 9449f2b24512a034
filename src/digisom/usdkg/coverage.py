"""Coverage: the reserve's value (fine gold in the vaults × the gold price) over the USDKG
supply on every chain, read from the chains through the `SupplyReader` port.

`may_mint` is the gate a mint passes first; `withdraw` moves bars out of the reserve only
if the rest still covers the supply. Both refuse with `CoverageRefused`, naming the rule.
Rules, in the order checked (the first that fails is the one named):

1. `audit_unresolved`: an audit has findings no signed resolution closed (mint only);
2. `audit_overdue`: the next audit's due date has passed (mint only);
3. `no_price` / `stale_price`: no price, or the newest is older than the limit;
4. `coverage_floor`: reserve value / supply after the operation below the floor.

Redemption burns first (on the chain), then the custodian withdraws bars: the floor holds
at each step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Protocol

from sqlalchemy import Connection, Engine

from digisom.kernel.clock import iso_utc
from digisom.usdkg import units
from digisom.usdkg.audits import Audits, AuditStanding
from digisom.usdkg.errors import CoverageRefused, InvalidAmount, NoPrice, StalePrice
from digisom.usdkg.model import MovementKind, PriceQuote
from digisom.usdkg.price_book import PriceBook
from digisom.usdkg.register import BarRegister

DEFAULT_FLOOR_BPS: Final = 10_000  # 100%
DEFAULT_PRICE_STALENESS_S: Final = 3 * 24 * 3600  # the LBMA sets no price on weekends and holidays


class SupplyReader(Protocol):
    """USDKG's supply on each chain, in token units (6 decimals), as each chain says it."""

    def supply_units_by_chain(self) -> Mapping[int, int]:
        """Chain id -> total supply there."""
        ...


@dataclass(frozen=True, slots=True)
class CoveragePolicy:
    """The configured rules."""

    floor_bps: int = DEFAULT_FLOOR_BPS
    price_staleness_s: int = DEFAULT_PRICE_STALENESS_S


@dataclass(frozen=True, slots=True)
class CoverageFigure:
    """Coverage at a moment: what the daily report and the public figure show."""

    at: datetime
    fine_moz: int
    price: PriceQuote | None
    price_stale: bool
    reserve_value_cents: int | None
    supply_units_by_chain: Mapping[int, int]
    supply_units: int
    coverage_bps: int | None  # None with no price, or nothing issued
    floor_bps: int
    audits: AuditStanding

    def as_json(self) -> dict[str, object]:
        """The figure as JSON: integers as strings (cents, units, moz), times in ISO 8601."""
        return {
            "at": iso_utc(self.at),
            "fine_moz": str(self.fine_moz),
            "price_cents_per_oz": str(self.price.price_cents_per_oz) if self.price else None,
            "price_as_of": iso_utc(self.price.as_of) if self.price else None,
            "price_source": self.price.source if self.price else None,
            "price_stale": self.price_stale,
            "reserve_value_cents": None if self.reserve_value_cents is None else str(self.reserve_value_cents),
            "supply_units_by_chain": {
                str(chain): str(units_) for chain, units_ in sorted(self.supply_units_by_chain.items())
            },
            "supply_units": str(self.supply_units),
            # The chains whose supply was read: `[]` says no chain is configured (supply 0).
            "chains": [str(chain) for chain in sorted(self.supply_units_by_chain)],
            "coverage_bps": self.coverage_bps,
            "floor_bps": self.floor_bps,
            "last_audit": self.audits.last_signed.isoformat() if self.audits.last_signed else None,
            "next_audit_due": self.audits.next_due.isoformat() if self.audits.next_due else None,
            "audit_overdue": self.audits.overdue,
            "audits_unresolved": [day.isoformat() for day in self.audits.unresolved],
        }


def _supply(reader: SupplyReader) -> dict[int, int]:
    by_chain = dict(reader.supply_units_by_chain())
    for chain, supply in by_chain.items():
        if supply < 0:
            raise InvalidAmount(f"chain {chain} reports a negative supply")
    return by_chain


class Coverage:
    """The coverage rules over the register, the price book, the audits and the chains."""

    def __init__(
        self,
        engine: Engine,
        register: BarRegister,
        prices: PriceBook,
        audits: Audits,
        supply: SupplyReader,
        policy: CoveragePolicy,
    ) -> None:
        self._engine = engine
        self._register = register
        self._prices = prices
        self._audits = audits
        self._supply = supply
        self._policy = policy

    def figure(self, now: datetime) -> CoverageFigure:
        """Coverage now."""
        by_chain = _supply(self._supply)
        supply_units = sum(by_chain.values())
        fine_moz = self._register.fine_moz_in_vaults()
        price = self._prices.latest()
        reserve = units.value_cents(fine_moz, price.price_cents_per_oz) if price else None
        return CoverageFigure(
            at=now,
            fine_moz=fine_moz,
            price=price,
            price_stale=price is None or self._prices.is_stale(price, now),
            reserve_value_cents=reserve,
            supply_units_by_chain=by_chain,
            supply_units=supply_units,
            coverage_bps=None if reserve is None else units.coverage_bps(reserve, supply_units),
            floor_bps=self._policy.floor_bps,
            audits=self._audits.standing(now.date()),
        )

    def may_mint(self, amount_units: int, now: datetime) -> CoverageFigure:
        """Pass, with the figure before the mint, or refuse naming the rule."""
        if amount_units <= 0:
            raise InvalidAmount("a mint is a positive number of token units")
        standing = self._audits.standing(now.date())
        if standing.unresolved:
            dates = ", ".join(day.isoformat() for day in standing.unresolved)
            raise CoverageRefused("audit_unresolved", f"the audit of {dates} has unresolved findings")
        if standing.overdue and standing.next_due is not None:
            raise CoverageRefused("audit_overdue", f"the audit due on {standing.next_due} has not been signed")
        figure = self.figure(now)
        price = self._fresh_price(now)
        reserve = units.value_cents(figure.fine_moz, price.price_cents_per_oz)
        self._check_floor(reserve, figure.supply_units + amount_units, "mint")
        return figure

    def withdraw(
        self,
        serials: list[str],
        *,
        vault: str,
        custodian: str,
        at: datetime,
        signature: bytes,
        now: datetime,
    ) -> int:
        """Withdraw bars from the reserve (signed by their custodian) if what stays covers
        the supply; checked inside the register's transaction."""
        supply_units = sum(_supply(self._supply).values())

        def guard(conn: Connection, leaving_moz: int) -> None:
            price = self._fresh_price(now, conn)
            remaining = self._register.fine_moz_in_vaults(conn) - leaving_moz
            self._check_floor(units.value_cents(remaining, price.price_cents_per_oz), supply_units, "withdrawal")

        return self._register.move(
            MovementKind.WITHDRAW,
            serials,
            vault=vault,
            custodian=custodian,
            at=at,
            signature=signature,
            recorded_at=now,
            guard=guard,
        )

    def _fresh_price(self, now: datetime, conn: Connection | None = None) -> PriceQuote:
        try:
            return self._prices.current(now, conn)
        except NoPrice as error:
            raise CoverageRefused("no_price", error.detail) from error
        except StalePrice as error:
            raise CoverageRefused("stale_price", error.detail) from error

    def _check_floor(self, reserve_cents: int, supply_units: int, operation: str) -> None:
        if not units.covers(reserve_cents, supply_units, self._policy.floor_bps):
            raise CoverageRefused(
                "coverage_floor",
                f"after the {operation} the reserve (US cents {reserve_cents}) would cover "
                f"{units.coverage_bps(reserve_cents, supply_units)} bps of the supply, below the floor of "
                f"{self._policy.floor_bps} bps",
                reserve_value_cents=str(reserve_cents),
                supply_units=str(supply_units),
                floor_bps=self._policy.floor_bps,
            )
