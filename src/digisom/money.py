"""Money: an integer count of minor units and a currency. Never a float.

On-chain tokens have their own decimals; conversion between token units and ledger
units is exact or refused (`InexactConversion`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from digisom.errors import DigisomError


class MoneyError(DigisomError):
    """Bad money input: wrong type, unknown currency, malformed amount."""


class CurrencyMismatch(MoneyError):
    """Arithmetic between two currencies."""


class InexactConversion(MoneyError):
    """A conversion between token units and ledger units would lose value."""


@dataclass(frozen=True, slots=True)
class Currency:
    """An ISO 4217 currency: alphabetic code, numeric code and minor-unit exponent."""

    code: str
    numeric: int
    exponent: int


KGS: Final = Currency("KGS", 417, 2)
USD: Final = Currency("USD", 840, 2)
CURRENCIES: Final[dict[str, Currency]] = {c.code: c for c in (KGS, USD)}

_DECIMAL_PATTERN: Final = re.compile(r"^(-)?(\d+)(?:\.(\d+))?$")
# Longest amount string accepted from outside; a u128 has 39 digits.
MAX_AMOUNT_TEXT_CHARS: Final = 64


def currency(code: str) -> Currency:
    """The currency with ISO code `code`, or `MoneyError`."""
    try:
        return CURRENCIES[code]
    except KeyError:
        raise MoneyError(f"unknown currency {code!r}") from None


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An amount in integer minor units (tyiyn for KGS, cents for USD)."""

    amount_minor: int
    currency: Currency

    def __post_init__(self) -> None:
        # bool is an int subclass; a float must never get in.
        if type(self.amount_minor) is not int:
            raise MoneyError(f"amount must be an int of minor units, got {type(self.amount_minor).__name__}")

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise CurrencyMismatch(f"{self.currency.code} and {other.currency.code}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount_minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount_minor < other.amount_minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount_minor <= other.amount_minor

    @classmethod
    def parse(cls, text: str, cur: Currency) -> Money:
        """Parse a decimal string in major units ("12.34" KGS -> 1234 tyiyn), exactly."""
        if len(text) > MAX_AMOUNT_TEXT_CHARS:
            raise MoneyError("amount text too long")
        match = _DECIMAL_PATTERN.match(text)
        if match is None:
            raise MoneyError(f"not a decimal amount: {text!r}")
        sign, whole, fraction = match.group(1), match.group(2), match.group(3) or ""
        if len(fraction) > cur.exponent:
            raise InexactConversion(f"{text} has more than {cur.exponent} decimals for {cur.code}")
        minor = int(whole) * _pow10(cur.exponent) + int(fraction.ljust(cur.exponent, "0") or "0")
        return cls(-minor if sign else minor, cur)

    def format(self) -> str:
        """Major units with the currency's code, e.g. '12.34 KGS'."""
        return f"{self.major_units()} {self.currency.code}"

    def major_units(self) -> str:
        """Major units as an exact decimal string, e.g. '12.34', with thousands kept plain."""
        sign = "-" if self.amount_minor < 0 else ""
        whole, fraction = divmod(abs(self.amount_minor), _pow10(self.currency.exponent))
        if self.currency.exponent == 0:
            return f"{sign}{whole}"
        return f"{sign}{whole}.{fraction:0{self.currency.exponent}d}"

    def __str__(self) -> str:
        return self.format()

    def to_token_units(self, token_decimals: int) -> int:
        """Token base units for this amount; exact or `InexactConversion`."""
        return minor_to_token_units(self.amount_minor, self.currency.exponent, token_decimals)

    @classmethod
    def from_token_units(cls, units: int, token_decimals: int, cur: Currency) -> Money:
        """The amount `units` token base units represent; exact or `InexactConversion`."""
        return cls(token_units_to_minor(units, token_decimals, cur.exponent), cur)


def minor_to_token_units(amount_minor: int, exponent: int, token_decimals: int) -> int:
    """Scale minor units (10**-exponent) to token units (10**-token_decimals), exactly."""
    _check_units(amount_minor)
    shift = token_decimals - exponent
    if shift >= 0:
        return amount_minor * _pow10(shift)
    quotient, remainder = divmod(amount_minor, _pow10(-shift))
    if remainder:
        raise InexactConversion(f"{amount_minor} minor units is not a whole number of token units")
    return quotient


def token_units_to_minor(units: int, token_decimals: int, exponent: int) -> int:
    """Scale token units to minor units, exactly; refuse dust that would be lost."""
    _check_units(units)
    shift = token_decimals - exponent
    if shift <= 0:
        return units * _pow10(-shift)
    quotient, remainder = divmod(units, _pow10(shift))
    if remainder:
        raise InexactConversion(
            f"{units} token units at {token_decimals} decimals is not a whole number of minor units"
        )
    return quotient


def _check_units(value: int) -> None:
    if type(value) is not int:
        raise MoneyError(f"units must be an int, got {type(value).__name__}")


def _pow10(exponent: int) -> int:
    """10**exponent for exponent >= 0, typed as int (mypy types int**int as Any)."""
    result: int = 10**exponent
    return result
