"""Liquidity saving of the queue + LSM against plain gross settlement, on one synthetic day.

    .venv/bin/python bench/lsm.py                   # 10 banks, 50,000 payments
    .venv/bin/python bench/lsm.py --payments 5000   # smaller, same JSON shape

The day: 10 banks, payments between random sender/receiver pairs, lognormal sizes (median
50,000 som, sigma 1.5; drawn once as floats by `random`, turned into whole som at once, and
integers of tyiyn from there on), 10% urgent, arrivals uniform over a 10-hour business day,
fixed seed. Each bank starts with 20% of its gross outflow. The same day is settled twice
by the same engine: gross (each payment alone, strict FIFO per bank, no offsetting) and
queue + LSM (FIFO bypass for normal payments, bilateral offsetting on arrival, multilateral
gridlock resolution every 5 minutes and at the close). Liquidity needed is measured the same
way for both (see digisom/interbank/liquidity.py): the least starting liquidity, between
the per-bank lower and upper bounds, with which the mode settles every payment by the close.
Delays are over settled payments. Prints one JSON object as its last line.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections.abc import Sequence

from digisom.interbank.liquidity import liquidity_bounds, liquidity_needed
from digisom.interbank.lsm import GROSS_RULES, LSM_RULES, DayResult, SettlementRules, simulate_day
from digisom.interbank.priority import Priority
from digisom.interbank.queue import Payment

SEED = 20261123
BANKS = 10
DAY_S = 10 * 3600
MEDIAN_SOM = 50_000
SIGMA = 1.5
URGENT_SHARE = 0.10
STARTING_LIQUIDITY_PERCENT = 20
TYIYN_PER_SOM = 100


def synthetic_day(count: int, seed: int = SEED) -> list[Payment]:
    """`count` payments in arrival order."""
    rng = random.Random(seed)
    banks = [f"commercial_bank_{i:02d}" for i in range(BANKS)]
    arrivals = sorted(rng.randrange(DAY_S) for _ in range(count))
    payments = []
    for payment_id, arrival_s in enumerate(arrivals):
        sender, receiver = rng.sample(banks, 2)
        som = max(1, int(rng.lognormvariate(math.log(MEDIAN_SOM), SIGMA)))
        priority = Priority.URGENT if rng.random() < URGENT_SHARE else Priority.NORMAL
        payments.append(Payment(payment_id, sender, receiver, som * TYIYN_PER_SOM, priority, arrival_s))
    return payments


def starting_liquidity(payments: Sequence[Payment]) -> dict[str, int]:
    """Each bank's share of its own gross outflow."""
    outflow: dict[str, int] = {}
    for p in payments:
        outflow[p.sender] = outflow.get(p.sender, 0) + p.amount_minor
        outflow.setdefault(p.receiver, 0)
    return {bank: total * STARTING_LIQUIDITY_PERCENT // 100 for bank, total in outflow.items()}


def summary(result: DayResult, count: int) -> tuple[float, float]:
    """Settled share (of payments) and mean delay in seconds of the settled ones."""
    settled = result.settlements
    delay = sum(s.delay_s for s in settled) / len(settled) if settled else 0.0
    return len(settled) / count, delay


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=50_000)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    payments = synthetic_day(args.payments)
    liquidity = starting_liquidity(payments)
    runs: dict[str, tuple[float, float]] = {}
    needed: dict[str, int] = {}
    at_needed: dict[str, tuple[float, float]] = {}
    modes: dict[str, SettlementRules] = {"gross": GROSS_RULES, "lsm": LSM_RULES}
    for name, rules in modes.items():
        runs[name] = summary(simulate_day(payments, liquidity, rules, DAY_S), len(payments))
        needed_per_bank = liquidity_needed(payments, rules, DAY_S)
        needed[name] = sum(needed_per_bank.values())
        at_needed[name] = summary(simulate_day(payments, needed_per_bank, rules, DAY_S), len(payments))
    bounds = liquidity_bounds(payments)
    upper = sum(bounds.upper.values())
    print(
        json.dumps(
            {
                "payments": len(payments),
                "settled_share_gross": round(runs["gross"][0], 4),
                "settled_share_lsm": round(runs["lsm"][0], 4),
                "liquidity_needed_gross": needed["gross"],
                "liquidity_needed_lsm": needed["lsm"],
                "liquidity_saving_share": round(1 - needed["lsm"] / needed["gross"], 4) if needed["gross"] else 0.0,
                "delay_s_mean_gross": round(runs["gross"][1], 1),
                "delay_s_mean_lsm": round(runs["lsm"][1], 1),
                "delay_s_mean_gross_at_needed": round(at_needed["gross"][1], 1),
                "delay_s_mean_lsm_at_needed": round(at_needed["lsm"][1], 1),
                "liquidity_upper_bound": upper,
                "liquidity_lower_bound": sum(bounds.lower.values()),
                "liquidity_saving_share_vs_upper_bound": round(1 - needed["lsm"] / upper, 4) if upper else 0.0,
                "starting_liquidity": sum(liquidity.values()),
                "amounts_unit": "KGS minor units (tyiyn)",
                "lsm_interval_s": LSM_RULES.lsm_interval_s,
                "banks": BANKS,
                "seed": SEED,
                "wall_s": round(time.perf_counter() - started, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
