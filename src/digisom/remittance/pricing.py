"""Pricing: one conversion from the source currency to som at one rate, every fee
itemised, and the all-in cost by the World Bank's Remittance Prices Worldwide method.

All arithmetic is on integers and `Fraction`s; rounding is stated where it happens:
the percentage fee rounds up (never under-stated), the applied rate and the som received
round down (never more paid out than the rate allows: at most one tyiyn, and counted in
the all-in cost), the cost rounds up (never under-stated).

The RPW method: the total cost of sending an amount (200 and 500 USD equivalent) is
the fees plus the FX margin against a reference rate, as a share of the amount sent.
Here it is computed as everything the sender pays minus what arrives, valued at the
reference rate, which is fees plus margin plus rounding, exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import ceil, floor
from typing import Final

from digisom.money import USD
from digisom.remittance.currencies import SOURCE_CURRENCIES, TARGET
from digisom.remittance.model import Corridor
from digisom.remittance.rates import RATE_SCALE

BPS: Final = 10_000
PPM: Final = 1_000_000
# The two RPW sending amounts, in US cents.
RPW_AMOUNTS_USD_CENTS: Final = (200_00, 500_00)


@dataclass(frozen=True, slots=True)
class Price:
    """The figures of one quote (see `model.Quote`)."""

    send_minor: int
    fee_fixed_minor: int
    fee_pct_minor: int
    fx_margin_minor: int
    reference_e6: int
    applied_e6: int
    receive_tyiyn: int
    all_in_cost_ppm: int


def _unit(currency: str) -> int:
    return int(10 ** SOURCE_CURRENCIES[currency].exponent)


def _som_per_minor(currency: str, som_e6: int) -> Fraction:
    """Tyiyn per minor unit of `currency` at a rate of `som_e6`."""
    return Fraction(som_e6 * 10**TARGET.exponent, RATE_SCALE * _unit(currency))


def price(corridor: Corridor, send_minor: int, reference_e6: int) -> Price:
    """The price of converting `send_minor` (minor units of the corridor's currency)."""
    fee_pct = ceil(Fraction(send_minor * corridor.fee_bps, BPS))
    applied_e6 = floor(Fraction(reference_e6 * (BPS - corridor.fx_margin_bps), BPS))
    receive = floor(send_minor * _som_per_minor(corridor.currency, applied_e6))
    received_at_reference = Fraction(receive) / _som_per_minor(corridor.currency, reference_e6)
    margin = ceil(send_minor - received_at_reference)
    fees = corridor.fee_fixed_minor + fee_pct
    cost = fees + send_minor - received_at_reference
    return Price(send_minor, corridor.fee_fixed_minor, fee_pct, margin, reference_e6, applied_e6, receive,
                 ceil(cost * PPM / send_minor))


def convert_minor(amount_minor: int, from_currency: str, from_e6: int, to_currency: str, to_e6: int) -> int:
    """`amount_minor` of one currency in minor units of another, through their som rates
    (rounded down)."""
    som = amount_minor * _som_per_minor(from_currency, from_e6)
    return floor(som / _som_per_minor(to_currency, to_e6))


def usd_equivalent_cents(currency: str, amount_minor: int, rate_e6: int, usd_e6: int) -> int:
    """`amount_minor` of `currency` in US cents at the two reference rates."""
    if currency == USD.code:
        return amount_minor
    return convert_minor(amount_minor, currency, rate_e6, USD.code, usd_e6)


def rpw_costs_ppm(corridor: Corridor, reference_e6: int, usd_e6: int) -> dict[int, int]:
    """The all-in cost (millionths) of sending each RPW amount (US cents -> ppm), its
    equivalent in the corridor's currency taken at the reference rates."""
    costs: dict[int, int] = {}
    for usd_cents in RPW_AMOUNTS_USD_CENTS:
        send = (usd_cents if corridor.currency == USD.code
                else convert_minor(usd_cents, USD.code, usd_e6, corridor.currency, reference_e6))
        costs[usd_cents] = price(corridor, send, reference_e6).all_in_cost_ppm
    return costs


def ppm_as_percent(ppm: int) -> str:
    """Millionths as a percentage with four decimals ("0.8123")."""
    return f"{ppm // 10_000}.{ppm % 10_000:04d}"
