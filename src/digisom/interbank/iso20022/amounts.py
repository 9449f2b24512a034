"""Exact conversion between XSD decimal amounts and `Money` (integer minor units)."""

from __future__ import annotations

from decimal import Decimal

from digisom.interbank.iso20022.errors import Iso20022Error, ReasonCode
from digisom.money import Currency, InexactConversion, Money, MoneyError, currency


def to_decimal(money: Money) -> Decimal:
    """The amount in major units as an exact Decimal ("12.30" for 1230 tyiyn)."""
    if money.amount_minor < 0:
        raise Iso20022Error(ReasonCode.INVALID_AMOUNT, f"ISO 20022 amounts are not negative: {money}")
    whole, fraction = divmod(money.amount_minor, 10**money.currency.exponent)
    if money.currency.exponent == 0:
        return Decimal(whole)
    return Decimal(f"{whole}.{fraction:0{money.currency.exponent}d}")


def currency_of(code: str) -> Currency:
    """The currency with ISO code `code`, or Iso20022Error AM03."""
    try:
        return currency(code)
    except MoneyError:
        raise Iso20022Error(ReasonCode.NOT_ALLOWED_CURRENCY, f"currency {code!r} is not settled here") from None


def from_decimal(value: Decimal, code: str, field: str) -> Money:
    """`value` (decoded by the XSD, exact) in `code` as Money; refuse more decimals than
    the currency has (AM12), even trailing zeros: the sender's system disagrees with ours."""
    cur = currency_of(code)
    text = format(value, "f")  # plain notation, never an exponent
    try:
        return Money.parse(text, cur)
    except InexactConversion:
        raise Iso20022Error(
            ReasonCode.INVALID_AMOUNT, f"{field} {text} has more than {cur.exponent} decimals for {cur.code}"
        ) from None
    except MoneyError as exc:
        raise Iso20022Error(ReasonCode.INVALID_AMOUNT, f"{field}: {exc}") from None


def positive_amount(value: Decimal, code: str, field: str) -> Money:
    """Like `from_decimal`, and refuse zero (AM01) and negative amounts (AM12)."""
    money = from_decimal(value, code, field)
    if money.amount_minor == 0:
        raise Iso20022Error(ReasonCode.ZERO_AMOUNT, f"{field} is zero")
    if money.amount_minor < 0:
        raise Iso20022Error(ReasonCode.INVALID_AMOUNT, f"{field} is negative")
    return money
