"""The soak (bench/soak.py): its smoke run in the default suite (4 processes, 8 clients,
20 s), the full 10-minute run of issue 20 marked slow, and its two judgements (which
answers are errors, p99 per minute) on fixed inputs. Figures are reported; the smoke
asserts only what must hold however loaded the machine is: no error answer, no worker
restarted, the invariants checked after the load."""

from __future__ import annotations

import httpx
import pytest

from bench import soak

KEYS = {"duration_s", "processes", "clients", "requests", "errors", "rss_mb_start", "rss_mb_end", "rss_growth_pct",
        "p99_ms_first_minute", "p99_ms_last_minute", "p99_ms_max_minute"}


@pytest.mark.postgres
def test_a_short_soak_has_no_error_and_keeps_every_invariant() -> None:
    figures = soak.run(duration_s=20, clients=8, wallets=16, warmup_s=2)
    assert figures.keys() >= KEYS
    assert figures["processes"] == 4 and figures["clients"] == 8
    assert figures["requests"] > 0
    assert figures["errors"] == 0, figures["error_kinds"]
    assert figures["worker_restarts"] == 0
    assert figures["verified"] is True
    assert len(figures["rss_mb_samples"]) >= 2 and figures["rss_mb_start"] > 0  # four live workers were measured
    assert figures["p99_ms_max_minute"] >= figures["p99_ms_first_minute"] > 0


@pytest.mark.slow
@pytest.mark.postgres
def test_the_ten_minute_soak_keeps_memory_flat_and_p99_stable() -> None:
    figures = soak.run(duration_s=600, clients=64, wallets=128, warmup_s=30)
    assert figures["errors"] == 0, figures["error_kinds"]
    assert figures["verified"] is True
    assert figures["rss_growth_pct"] < 10
    assert figures["p99_ms_max_minute"] < 3 * figures["p99_ms_first_minute"]


def _answer(status: int, slug: str | None = None) -> httpx.Response:
    if slug is None:
        return httpx.Response(status, json={"id": "p1"})
    return httpx.Response(status, json={"type": soak.PROBLEM_BASE + slug},
                          headers={"content-type": "application/problem+json"})


def test_only_successes_and_the_refusals_a_payer_expects_are_not_errors() -> None:
    assert soak._error(_answer(201)) is None
    assert soak._error(_answer(409, "insufficient-funds")) is None
    assert soak._error(_answer(422, "limit-exceeded")) is None
    assert soak._error(_answer(422, "invalid-request")) == "422 invalid-request"
    assert soak._error(_answer(409, "retry-with-new-key")) == "409 retry-with-new-key"
    assert soak._error(_answer(503, "database-unavailable")) == "503 database-unavailable"
    assert soak._error(httpx.Response(500, text="boom")) == "500"


def test_p99_is_taken_per_minute_and_a_short_tail_joins_the_minute_before() -> None:
    latencies = [(float(second), 10.0) for second in range(60)] + [(60.0 + second, 50.0) for second in range(70)]
    assert soak.p99_by_window(latencies, duration_s=130) == [10.0, 50.0]  # 60-130 s: one window of 70 s
    assert soak.p99_by_window([(0.0, 5.0)], duration_s=20) == [5.0]
    assert soak.p99_by_window([], duration_s=20) == [0.0]
