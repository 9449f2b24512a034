"""The source currencies a corridor may take (ISO 4217: code, numeric code, exponent).
`digisom.money` knows only the som and the dollar; the remittance domain needs more, and
only here."""

from __future__ import annotations

from typing import Final

from digisom.money import KGS, USD, Currency

RUB: Final = Currency("RUB", 643, 2)
KZT: Final = Currency("KZT", 398, 2)
EUR: Final = Currency("EUR", 978, 2)
TRY: Final = Currency("TRY", 949, 2)
SOURCE_CURRENCIES: Final[dict[str, Currency]] = {c.code: c for c in (RUB, KZT, USD, EUR, TRY)}
TARGET: Final = KGS
