"""How much starting liquidity a settlement mode needs to settle a day's payments.

Per bank, with payments in arrival order:

- upper bound: the largest cumulative net outflow at any moment of the day. Starting with
  it, every payment settles on arrival, alone, in FIFO order: no queue, no delay.
- lower bound: the net outflow over the whole day (or 0 for a net receiver). No mode can
  settle everything with less, because the final balance would be negative.

The liquidity a mode needs is measured the same way for every mode: the least `k` such
that starting each bank with lower + (upper - lower) * k / LIQUIDITY_STEPS lets the mode
settle every payment by the close. `k` is found by bisection (the upper bound always
suffices). It is a minimum over that one-parameter family, not over every possible vector
of balances, and bisection assumes more liquidity never hurts (true of the rules here in
all our runs, though not proven for FIFO bypass).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from digisom.interbank.lsm import SettlementRules, simulate_day
from digisom.interbank.queue import Payment

# Resolution of the bisection: 1/1024 of the gap between the bounds, 10 simulated days.
LIQUIDITY_STEPS: Final = 1024


@dataclass(frozen=True, slots=True)
class LiquidityBounds:
    """Per-bank lower and upper bound of the starting liquidity (minor units)."""

    lower: dict[str, int]
    upper: dict[str, int]


def liquidity_bounds(payments: Sequence[Payment]) -> LiquidityBounds:
    """Lower and upper bound per bank for `payments` (in arrival order)."""
    net: dict[str, int] = {}
    peak: dict[str, int] = {}
    for p in payments:
        net[p.sender] = net.get(p.sender, 0) + p.amount_minor
        net[p.receiver] = net.get(p.receiver, 0) - p.amount_minor
        peak[p.sender] = max(peak.get(p.sender, 0), net[p.sender])
        peak.setdefault(p.receiver, 0)
    return LiquidityBounds(lower={b: max(0, v) for b, v in net.items()}, upper=peak)


def scaled_liquidity(bounds: LiquidityBounds, k: int) -> dict[str, int]:
    """lower + (upper - lower) * k / LIQUIDITY_STEPS per bank, rounded up to whole minor units."""
    return {
        bank: bounds.lower[bank] + -(-(bounds.upper[bank] - bounds.lower[bank]) * k // LIQUIDITY_STEPS)
        for bank in bounds.upper
    }


def liquidity_needed(payments: Sequence[Payment], rules: SettlementRules, close_s: int) -> dict[str, int]:
    """The per-bank starting liquidity, least in the bounds family, that settles all `payments`."""
    bounds = liquidity_bounds(payments)

    def settles_all(k: int) -> bool:
        return not simulate_day(payments, scaled_liquidity(bounds, k), rules, close_s).unsettled

    low, high = 0, LIQUIDITY_STEPS  # invariant: high settles everything
    if settles_all(low):
        return scaled_liquidity(bounds, low)
    while high - low > 1:
        middle = (low + high) // 2
        if settles_all(middle):
            high = middle
        else:
            low = middle
    return scaled_liquidity(bounds, high)
