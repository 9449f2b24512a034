"""Numbers, som amounts and dates as each language writes them (Babel's CLDR data).

Amounts arrive as integer minor units and become `Decimal`s only here, for display: no float.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent

TYIYN_PER_SOM = 100
# CLDR gives Russian and English only the ISO code "KGS"; people write "сом" and "som".
SOM_SIGN: Final[Mapping[str, str]] = {"ky": "сом", "ru": "сом", "en": "som"}


def som(amount_tyiyn: int, locale: Locale) -> str:
    """`amount_tyiyn` as som, two places, the locale's separators, the word after the figure."""
    figure = format_decimal(Decimal(amount_tyiyn) / TYIYN_PER_SOM, format="#,##0.00", locale=locale)
    return f"{figure}\u00a0{SOM_SIGN.get(locale.language, SOM_SIGN['en'])}"


def units(amount_units: int, decimals: int, locale: Locale) -> str:
    """A token amount in its smallest units, written with `decimals` places."""
    return str(format_decimal(Decimal(amount_units).scaleb(-decimals), locale=locale,
                              decimal_quantization=False))


def number(value: int, locale: Locale) -> str:
    """A whole number with the locale's group separator."""
    return str(format_decimal(value, locale=locale))


def basis_points(value_bps: int, locale: Locale) -> str:
    """A ratio in basis points as a percentage (10000 bps = 100 %)."""
    return str(format_percent(Decimal(value_bps) / 10000, format="#,##0.00%", locale=locale))


def day(value: date, locale: Locale) -> str:
    """A date, long form."""
    return str(format_date(value, format="long", locale=locale))


def moment(value: datetime, locale: Locale) -> str:
    """A moment, medium form, in UTC as stored."""
    return str(format_datetime(value, format="medium", tzinfo=None, locale=locale))


def month(value: str, locale: Locale) -> str:
    """A YYYY-MM month as the locale names it (e.g. "March 2026")."""
    return str(format_date(date.fromisoformat(f"{value}-01"), format="LLLL y", locale=locale))


def usd(amount_cents: int, locale: Locale) -> str:
    """US cents as dollars with the locale's sign and separators."""
    return str(format_currency(Decimal(amount_cents) / 100, "USD", locale=locale))


def troy_ounces(amount_moz: int, locale: Locale) -> str:
    """Thousandths of a troy ounce as ounces, three places."""
    return str(format_decimal(Decimal(amount_moz) / 1000, format="#,##0.000", locale=locale))
