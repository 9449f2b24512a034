"""USDKG's units, all integers (never floats):

- weights in thousandths of a troy ounce (`_moz`): 400.125 oz is 400125;
- fineness in tenths of a part per thousand (`_tenths`): 999.9 is 9999, so a bar of
  gross `g` moz and fineness `f` holds `g * f / 10000` moz of fine gold;
- gold prices in US cents per troy ounce (`_cents_per_oz`);
- token amounts in the token's units, 6 decimals (`_units`): 1 USDKG is 1,000,000 units;
  1 US cent is 10,000 units.

Conversions round down (in the issuer's disfavour: reserve is never overstated)."""

from __future__ import annotations

import re
from typing import Final

MOZ_PER_OZ: Final = 1000
FINENESS_SCALE: Final = 10_000  # fineness_tenths / FINENESS_SCALE is the fraction of fine gold
TOKEN_DECIMALS: Final = 6
UNITS_PER_CENT: Final = 10 ** (TOKEN_DECIMALS - 2)
BPS_SCALE: Final = 10_000  # 10,000 basis points is 100%

# LBMA Good Delivery (DESIGN.md, "Domain facts"): gross weight rounded down to 0.025 oz,
# fineness at least 995.0, fine weight 350 to 430 oz.
GROSS_STEP_MOZ: Final = 25
FINENESS_MIN_TENTHS: Final = 9950
FINE_MIN_MOZ: Final = 350_000
FINE_MAX_MOZ: Final = 430_000

_DECIMAL: Final = re.compile(r"(\d{1,9})(?:\.(\d+))?")


def parse_decimal(text: str, places: int) -> int:
    """`text` (e.g. "400.125") as an integer count of 10**-places, exactly; ValueError if it
    is not a plain non-negative decimal or has more than `places` digits after the point."""
    match = _DECIMAL.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not a decimal number: {text!r}")
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > places:
        raise ValueError(f"more than {places} decimals: {text!r}")
    scaled: int = int(whole) * 10**places + int(fraction.ljust(places, "0") or "0")
    return scaled


def format_decimal(value: int, places: int) -> str:
    """`value` counts of 10**-places as a decimal string with exactly `places` decimals."""
    whole, fraction = divmod(value, 10**places)
    return f"{whole}.{fraction:0{places}d}"


def fine_weight_moz(gross_moz: int, fineness_tenths: int) -> int:
    """Fine gold in a bar: gross × fineness, rounded down to 0.001 oz."""
    return gross_moz * fineness_tenths // FINENESS_SCALE


def value_cents(fine_moz: int, price_cents_per_oz: int) -> int:
    """The value of `fine_moz` of gold at a price, rounded down to the cent."""
    return fine_moz * price_cents_per_oz // MOZ_PER_OZ


def value_units(fine_moz: int, price_cents_per_oz: int) -> int:
    """The value of `fine_moz` of gold at a price, in token units, rounded down."""
    return fine_moz * price_cents_per_oz * UNITS_PER_CENT // MOZ_PER_OZ


def coverage_bps(reserve_cents: int, supply_units: int) -> int | None:
    """Reserve value over supply in basis points, rounded down; None when nothing is issued."""
    if supply_units == 0:
        return None
    return reserve_cents * UNITS_PER_CENT * BPS_SCALE // supply_units


def covers(reserve_cents: int, supply_units: int, floor_bps: int) -> bool:
    """Whether the reserve covers the supply at `floor_bps` or more, compared exactly
    (no rounding: reserve / supply >= floor / 10,000)."""
    return reserve_cents * UNITS_PER_CENT * BPS_SCALE >= floor_bps * supply_units
