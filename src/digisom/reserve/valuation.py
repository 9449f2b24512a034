"""The som value of the reserve's holdings through the `Prices` port (`digisom.reserve.prices`).

Each asset's value is integer tyiyn, rounded down (`Price.value_tyiyn`). A price the port
refuses (stale, unsigned, missing) is never used: the line carries no value and names why,
and the total is None, so a reader cannot take a partial sum for the reserve's worth."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from digisom.reserve.errors import PriceInvalid, PriceStale
from digisom.reserve.prices import Prices


@dataclass(frozen=True, slots=True)
class Valued:
    """One asset's units and their value; `value_tyiyn` None with `refused` saying why."""

    asset: str
    units: int
    decimals: int
    value_tyiyn: int | None
    tyiyn_per_coin: int | None
    price_as_of: str | None
    refused: str | None  # "price-stale", "price-invalid" or "balance-unknown"
    detail: str | None

    def as_json(self) -> dict[str, Any]:
        return {"value_tyiyn": None if self.value_tyiyn is None else str(self.value_tyiyn),
                "price_tyiyn_per_coin": None if self.tyiyn_per_coin is None else str(self.tyiyn_per_coin),
                "price_as_of": self.price_as_of, "price_refused": self.refused, "price_detail": self.detail}


def value(prices: Prices | None, asset: str, units: int, decimals: int) -> Valued:
    """`units` of `asset` in tyiyn; without a price port every line says `price-invalid`."""
    if prices is None:
        return Valued(asset, units, decimals, None, None, None, "price-invalid", "no price source is configured")
    try:
        price = prices.price(asset)
    except PriceStale as error:
        return Valued(asset, units, decimals, None, None, None, "price-stale", str(error))
    except PriceInvalid as error:
        return Valued(asset, units, decimals, None, None, None, "price-invalid", str(error))
    return Valued(asset, units, decimals, price.value_tyiyn(units, decimals), price.tyiyn_per_coin,
                  price.as_of.isoformat(), None, None)


def total_tyiyn(lines: Sequence[Valued]) -> int | None:
    """The sum of the values; None if any line has none (a partial sum would understate silently)."""
    if any(line.value_tyiyn is None for line in lines):
        return None
    return sum(line.value_tyiyn or 0 for line in lines)
