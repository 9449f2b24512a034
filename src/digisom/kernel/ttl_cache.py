"""One value recomputed at most once per `ttl_s`, on an explicit clock.

For figures anyone may ask for often (the public aggregate): however many callers, the
database does the work at most once per period. The owner (the composition root) holds
the cache; there is no module state. Callers that arrive while the value is recomputed
wait for that one computation instead of starting their own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from digisom.errors import DigisomError

T = TypeVar("T")


class TtlInvalid(DigisomError):
    """A time to live that is negative or not a number."""


class TtlCache(Generic[T]):
    """A value and the clock reading it was computed at; thread-safe."""

    def __init__(self, ttl_s: float, clock_s: Callable[[], float]) -> None:
        if not ttl_s >= 0:  # also refuses NaN
            raise TtlInvalid(f"ttl_s must be >= 0, not {ttl_s!r}")
        self._ttl_s = ttl_s
        self._clock_s = clock_s
        self._lock = threading.Lock()
        self._value: T | None = None
        self._computed_at_s: float | None = None

    def get(self, compute: Callable[[], T]) -> T:
        """The cached value while younger than `ttl_s`, else `compute()`'s (then cached)."""
        with self._lock:
            now_s = self._clock_s()
            fresh = self._computed_at_s is not None and now_s - self._computed_at_s < self._ttl_s
            if not fresh or self._value is None:
                self._value = compute()
                self._computed_at_s = now_s
            return self._value
