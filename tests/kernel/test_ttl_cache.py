"""The TTL cache recomputes at most once per period, on the clock it is given."""

from __future__ import annotations

import math

import pytest

from digisom.kernel.ttl_cache import TtlCache, TtlInvalid


def test_the_value_is_reused_until_the_ttl_passes() -> None:
    now_s = [100.0]
    computed: list[int] = []

    def compute() -> int:
        computed.append(len(computed))
        return len(computed)

    cache = TtlCache[int](2.0, lambda: now_s[0])
    assert [cache.get(compute) for _ in range(5)] == [1] * 5
    now_s[0] += 1.999
    assert cache.get(compute) == 1
    now_s[0] += 0.001
    assert cache.get(compute) == 2
    assert len(computed) == 2


def test_a_zero_ttl_always_recomputes() -> None:
    values = iter(range(10))
    cache = TtlCache[int](0, lambda: 5.0)
    assert [cache.get(lambda: next(values)) for _ in range(3)] == [0, 1, 2]


@pytest.mark.parametrize("ttl_s", [-1.0, math.nan])
def test_a_bad_ttl_is_refused(ttl_s: float) -> None:
    with pytest.raises(TtlInvalid):
        TtlCache[int](ttl_s, lambda: 0.0)
