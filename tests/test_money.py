"""Money: integer minor units, exact conversions or a refusal."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from digisom.money import (
    KGS,
    USD,
    CurrencyMismatch,
    InexactConversion,
    Money,
    MoneyError,
    currency,
    minor_to_token_units,
    token_units_to_minor,
)


def test_parse_and_format_are_exact() -> None:
    assert Money.parse("12.34", KGS) == Money(1234, KGS)
    assert Money.parse("12.3", KGS) == Money(1230, KGS)
    assert Money.parse("-0.05", KGS).format() == "-0.05 KGS"
    assert Money(1_000_000_00, KGS).format() == "1000000.00 KGS"
    assert currency("USD") is USD


@pytest.mark.parametrize("text", ["12.345", "1e3", "12,5", "", " 1", "1.", "NaN", "9" * 65])
def test_parse_refuses_what_is_not_exact(text: str) -> None:
    with pytest.raises(MoneyError):
        Money.parse(text, KGS)


def test_no_floats_and_no_mixing() -> None:
    with pytest.raises(MoneyError):
        Money(1.5, KGS)  # type: ignore[arg-type]
    with pytest.raises(MoneyError):
        Money(True, KGS)
    with pytest.raises(CurrencyMismatch):
        Money(1, KGS) + Money(1, USD)
    with pytest.raises(MoneyError):
        currency("XXX")


def test_token_conversion_is_exact_or_refused() -> None:
    # KGST with 18 decimals: one tyiyn is 10**16 token units.
    assert Money(1, KGS).to_token_units(18) == 10**16
    assert Money.from_token_units(10**16, 18, KGS) == Money(1, KGS)
    with pytest.raises(InexactConversion):
        Money.from_token_units(10**16 + 1, 18, KGS)  # dust below one tyiyn
    # USDKG with 6 decimals against USD cents.
    assert Money.from_token_units(1_230_000, 6, USD) == Money(123, USD)
    # A token with fewer decimals than the currency: exact only on whole token units.
    assert minor_to_token_units(500, 2, 0) == 5
    with pytest.raises(InexactConversion):
        minor_to_token_units(501, 2, 0)


@given(st.integers(min_value=0, max_value=2**128), st.integers(min_value=0, max_value=30))
def test_token_round_trip(amount_minor: int, token_decimals: int) -> None:
    try:
        units = minor_to_token_units(amount_minor, 2, token_decimals)
    except InexactConversion:
        assert token_decimals < 2 and amount_minor % 10 ** (2 - token_decimals)
        return
    assert token_units_to_minor(units, token_decimals, 2) == amount_minor
