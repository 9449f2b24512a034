"""Ledger units (tyiyn) to token units and back, through `digisom.money`: exact or refused."""

from __future__ import annotations

from digisom.money import KGS, InexactConversion, MoneyError, minor_to_token_units, token_units_to_minor
from digisom.stablecoin.errors import InvalidAmount


def to_token_units(amount_tyiyn: int, decimals: int) -> int:
    """Token units for a positive tyiyn amount; `InvalidAmount` if not positive or not exact."""
    if type(amount_tyiyn) is not int or amount_tyiyn <= 0:
        raise InvalidAmount(f"amount must be a positive integer of tyiyn, got {amount_tyiyn!r}")
    try:
        return minor_to_token_units(amount_tyiyn, KGS.exponent, decimals)
    except (InexactConversion, MoneyError) as error:
        raise InvalidAmount(str(error)) from None


def to_tyiyn(amount_token_units: int, decimals: int) -> int:
    """Tyiyn for a token amount; `InvalidAmount` if it is not a whole number of tyiyn."""
    try:
        return token_units_to_minor(amount_token_units, decimals, KGS.exponent)
    except (InexactConversion, MoneyError) as error:
        raise InvalidAmount(str(error)) from None
