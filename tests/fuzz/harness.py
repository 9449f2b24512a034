"""Runs a target on hypothesis-generated inputs: typed errors only, no crash, no hang.

Counts: `FUZZ_EXAMPLES` inputs per decoder in the default suite; the slow job
(`pytest -m slow tests/fuzz`) runs `FUZZ_EXAMPLES_SLOW`, or `DIGISOM_FUZZ_EXAMPLES` if set.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Final

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.fuzz.targets import Target

FUZZ_EXAMPLES: Final = 2_000
FUZZ_EXAMPLES_SLOW: Final = 100_000
# An input that takes longer than this is a hang: the run stops there and names it.
HANG_S: Final = 10.0
# Inputs slower than this are reported (the bound), not failed: a shared CI core
# can stall a fast decoder for a second.
SLOW_INPUT_S: Final = 1.0


class Hang(BaseException):
    """Raised by the alarm; a BaseException so that no decoder's `except Exception` eats it."""


@dataclass
class Stats:
    """What one fuzz run saw."""

    inputs: int = 0
    accepted: int = 0
    refused: Counter[str] = field(default_factory=Counter)
    slowest_s: float = 0.0
    slow_inputs: list[bytes] = field(default_factory=list)
    elapsed_s: float = 0.0

    def line(self, name: str) -> str:
        kinds = ", ".join(f"{k} {v}" for k, v in self.refused.most_common(4))
        return (f"fuzz {name}: {self.inputs} inputs in {self.elapsed_s:.1f} s, {self.accepted} accepted, "
                f"slowest {self.slowest_s * 1000:.0f} ms, {len(self.slow_inputs)} over {SLOW_INPUT_S} s; "
                f"refused: {kinds}")


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    def fire(signum: int, frame: FrameType | None) -> None:
        raise Hang(f"one input took over {seconds} s")

    previous = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def feed(target: Target, data: bytes, stats: Stats) -> None:
    """Every step of `target` on `data`; anything but its typed errors propagates (a crash)."""
    started = time.perf_counter()
    with _alarm(HANG_S):
        for step in target.steps:
            try:
                step(data)
            except target.errors as error:
                stats.refused[type(error).__name__] += 1
            else:
                stats.accepted += 1
    took = time.perf_counter() - started
    stats.inputs += 1
    stats.slowest_s = max(stats.slowest_s, took)
    if took > SLOW_INPUT_S:
        stats.slow_inputs.append(data)


def timed(target: Target, data: bytes) -> float:
    """Seconds `target` takes on `data`, fed alone."""
    started = time.perf_counter()
    feed(target, data, Stats())
    return time.perf_counter() - started


def examples(slow: bool) -> int:
    override = os.environ.get("DIGISOM_FUZZ_EXAMPLES")
    if override:
        return int(override)
    return FUZZ_EXAMPLES_SLOW if slow else FUZZ_EXAMPLES


def fuzz(target: Target, strategy: st.SearchStrategy[bytes], count: int) -> Stats:
    """Feed `count` inputs drawn from `strategy` (derandomized: the same inputs every run)."""
    stats = Stats()

    @settings(max_examples=count, deadline=None, derandomize=True, database=None,
              phases=(Phase.generate, Phase.shrink), suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(data: bytes) -> None:
        feed(target, data, stats)

    for seed in target.seeds():  # first use loads schemas and caches: not the input's time
        feed(target, seed, Stats())
    started = time.perf_counter()
    run()
    stats.elapsed_s = time.perf_counter() - started
    return stats
