"""Which bars back a holder's tokens: a published rule, recomputable by anyone from the
published bar list, the chains' balances and the published price.

The rule: lay the bars in a vault end to end in serial order, each as long as its value
in token units at the price (`units.value_units`); lay the holders end to end by balance,
largest first, ties by address (as text, ascending); each holder is backed by the stretch
of bars under its stretch of tokens. A token unit is backed by exactly one bar while the
reserve covers the supply; past the reserve's end units are unbacked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from digisom.usdkg import units


@dataclass(frozen=True, slots=True)
class Backing:
    """Part of a bar backing part of a holder's balance."""

    serial: str
    units: int


@dataclass(frozen=True, slots=True)
class HolderBacking:
    """A holder's balance, the bars behind it and what no bar backs."""

    address: str
    balance_units: int
    bars: tuple[Backing, ...]
    unbacked_units: int


def allocate(
    bars: Sequence[tuple[str, int]], balances: Mapping[str, int], price_cents_per_oz: int
) -> dict[str, HolderBacking]:
    """Apply the rule to `bars` ((serial, fine moz) of the bars in a vault) and `balances`
    (address -> token units, holders with zero left out)."""
    if price_cents_per_oz <= 0 or any(balance < 0 for balance in balances.values()):
        raise ValueError("the price must be positive and balances non-negative")
    line = sorted(bars)
    holders = sorted(((a, b) for a, b in balances.items() if b > 0), key=lambda ab: (-ab[1], ab[0]))
    result: dict[str, HolderBacking] = {}
    bar_index, left_in_bar = 0, units.value_units(line[0][1], price_cents_per_oz) if line else 0
    for address, balance in holders:
        needed, backing = balance, []
        while needed and bar_index < len(line):
            if left_in_bar == 0:
                bar_index += 1
                if bar_index < len(line):
                    left_in_bar = units.value_units(line[bar_index][1], price_cents_per_oz)
                continue
            taken = min(needed, left_in_bar)
            backing.append(Backing(line[bar_index][0], taken))
            needed -= taken
            left_in_bar -= taken
        result[address] = HolderBacking(address, balance, tuple(backing), needed)
    return result
