"""A soak: the API under steady load for a long time. Does memory stay flat, does any
request fail, does the tail latency drift?

    .venv/bin/python bench/soak.py                            # 4 processes, 64 clients, 10 minutes
    .venv/bin/python bench/soak.py --duration-s 20 --clients 8

Starts a throwaway PostgreSQL, `digisom serve --workers 4` on it and a world of funded
wallets (bench/api_load.py), then the clients pay between random wallets as their
holders (small amounts, so the monthly inflow limits hold out for the whole run) and
read the payer's wallet one request in ten. After a warm-up the measured run begins:
the resident memory (VmRSS) of the worker processes is sampled at its start, every 30 s
and at its end; latency is kept per request and its p99 taken per minute. Every answer
is an error except a 200/201 and the payment refusals a client is told to expect
(insufficient funds, a limit exceeded); a lost connection is an error too. After the
load the invariants of `api_load.check` are checked (the ledger verifies, circulation
equals issuance, every wallet holds what its accepted payments make it).

Prints progress on stderr and one JSON line: duration_s, processes, clients, requests,
errors, error_kinds, rss_mb_start, rss_mb_end, rss_growth_pct, rss_mb_samples,
p99_ms_first_minute, p99_ms_last_minute, p99_ms_max_minute, p99_ms_by_minute,
payments_per_s, worker_restarts, verified, load_average (1, 5 and 15 minutes, at the
end: the machine may be shared). Exits 1 on an error response or a broken invariant.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: `bench` is a namespace package
from bench import api_load
from digisom.devtools.postgres_server import TemporaryPostgres
from digisom.http.problems import PROBLEM_BASE

PROCESSES: Final = 4
READ_SHARE: Final = 0.1
RSS_EVERY_S: Final = 30.0
WINDOW_S: Final = 60.0
AMOUNT_TYIYN_MAX: Final = 20_000  # 200 som: 64 wallets stay within 50,000 som of monthly inflow for 10 min
REQUEST_TIMEOUT_S: Final = 60.0
# Four workers each importing every domain take 45 s to start on a loaded 2-core runner.
SERVER_START_TIMEOUT_S: Final = 240.0
# What a paying client is told may happen: not errors.
EXPECTED_REFUSALS: Final = frozenset({(409, "insufficient-funds"), (422, "limit-exceeded")})
# A spawned worker's command line; the supervisor's resource tracker is spawned too.
_WORKER_MARK: Final = b"multiprocessing.spawn"


@dataclass
class Measures:
    """What the clients saw, and the workers' memory."""

    measured_from_s: float  # monotonic: the end of the warm-up
    requests: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (sent, from measured_from_s; ms)
    accepted: dict[str, tuple[api_load.Wallet, api_load.Wallet, int]] = field(default_factory=dict)
    rss_mb: list[tuple[float, float]] = field(default_factory=list)  # (seconds into the run, MB)
    worker_pids: set[int] = field(default_factory=set)  # every worker seen: more than PROCESSES is a restart

    def record(self, sent_s: float, latency_ms: float, error: str | None) -> None:
        self.requests += 1
        if error is not None:
            self.errors[error] += 1
        if sent_s >= self.measured_from_s:
            self.latencies.append((sent_s - self.measured_from_s, latency_ms))


def worker_pids(db_url: str) -> list[int]:
    """The pids of the API worker processes of the `digisom serve` started with `db_url`."""
    parents = [pid for pid, line in _command_lines().items() if b"serve" in line and db_url.encode() in line]
    if len(parents) != 1:
        raise RuntimeError(f"expected one `digisom serve` on {db_url}, found {parents}")
    children = _children(parents[0])
    return sorted(pid for pid in children if _WORKER_MARK in _command_lines([pid]).get(pid, b""))


def rss_mb(pids: Sequence[int]) -> float:
    """The resident memory of `pids` together, in MB (VmRSS of /proc/<pid>/status)."""
    total_kb = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total_kb += int(line.split()[1])
    return round(total_kb / 1024, 1)


def _command_lines(pids: Sequence[int] | None = None) -> dict[int, bytes]:
    found = {}
    for pid in pids if pids is not None else [int(p) for p in os.listdir("/proc") if p.isdigit()]:
        try:
            found[pid] = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue  # gone meanwhile
    return found


def _children(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += [int(child) for child in (task / "children").read_text().split()]
    return children


def p99_by_window(latencies: Sequence[tuple[float, float]], duration_s: float,
                  window_s: float = WINDOW_S) -> list[float]:
    """p99 latency (ms) of the requests sent in each `window_s` of the run; a last window
    shorter than half of one joins the one before (too few requests for its own p99)."""
    windows = max(1, int(duration_s // window_s) + (1 if duration_s % window_s >= window_s / 2 else 0))
    buckets: list[list[float]] = [[] for _ in range(windows)]
    for sent_s, latency_ms in latencies:
        buckets[min(int(sent_s // window_s), windows - 1)].append(latency_ms)
    return [round(_p99(bucket), 1) for bucket in buckets]


def _p99(values: Sequence[float]) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[98]


async def _load(world: api_load.LoadWorld, measures: Measures, clients: int, end_s: float, db_url: str,
                amount_tyiyn_max: int, seed: int) -> None:
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients,
                          keepalive_expiry=api_load.KEEPALIVE_S)
    async with httpx.AsyncClient(base_url=world.url, timeout=REQUEST_TIMEOUT_S, limits=limits) as client:
        sampler = asyncio.create_task(_sample_rss(measures, end_s, db_url))
        await asyncio.gather(*(_client(client, world, measures, number, end_s, amount_tyiyn_max, seed)
                               for number in range(clients)))
        await sampler


async def _client(client: httpx.AsyncClient, world: api_load.LoadWorld, measures: Measures, number: int,
                  end_s: float, amount_tyiyn_max: int, seed: int) -> None:
    rng = random.Random(seed * 10_007 + number)
    sent = 0
    while (began := time.monotonic()) < end_s:
        payer, payee = rng.sample(world.wallets, 2)
        headers = {"Authorization": f"Bearer {payer.token}"}
        amount = rng.randint(1, amount_tyiyn_max)
        reading = rng.random() < READ_SHARE
        try:
            if reading:
                answer = await client.get(f"/v1/wallets/{payer.id}", headers=headers)
            else:
                headers["Idempotency-Key"] = f"soak-{number}-{sent}"
                sent += 1
                answer = await client.post("/v1/payments", headers=headers, json={
                    "payer_wallet_id": payer.id, "payee_wallet_id": payee.id, **api_load._kgs(amount)})
        except httpx.TransportError as error:
            measures.record(began, (time.monotonic() - began) * 1000, f"transport {type(error).__name__}")
            continue
        measures.record(began, (time.monotonic() - began) * 1000, _error(answer))
        if not reading and answer.status_code == 201:
            measures.accepted[answer.json()["id"]] = (payer, payee, amount)


def _error(answer: httpx.Response) -> str | None:
    """None for an answer a client expects; else its status and problem slug."""
    if answer.status_code in (200, 201):
        return None
    slug = ""
    if answer.headers.get("content-type", "").startswith("application/problem+json"):
        slug = str(answer.json().get("type", "")).removeprefix(PROBLEM_BASE)
    return None if (answer.status_code, slug) in EXPECTED_REFUSALS else f"{answer.status_code} {slug}".strip()


async def _sample_rss(measures: Measures, end_s: float, db_url: str) -> None:
    """The workers' RSS at the end of the warm-up, every RSS_EVERY_S and at the end."""
    await asyncio.sleep(max(0.0, measures.measured_from_s - time.monotonic()))
    while True:
        pids = worker_pids(db_url)
        measures.worker_pids.update(pids)
        measures.rss_mb.append((round(time.monotonic() - measures.measured_from_s, 1), rss_mb(pids)))
        left_s = end_s - time.monotonic()
        if left_s <= 0:
            return
        await asyncio.sleep(min(RSS_EVERY_S, left_s))


def run(duration_s: float, clients: int, wallets: int, warmup_s: float, amount_tyiyn_max: int = AMOUNT_TYIYN_MAX,
        seed: int = 11) -> dict[str, Any]:
    """The soak; the figures of the JSON line."""
    # api_load's own start-up wait (60 s) is short for a shared machine; it reads this at call time.
    api_load.SERVER_START_TIMEOUT_S = max(api_load.SERVER_START_TIMEOUT_S, SERVER_START_TIMEOUT_S)
    with TemporaryPostgres() as server, tempfile.TemporaryDirectory() as data_dir:
        url = server.create_database("soak")
        with api_load.running_server(PROCESSES, url, Path(data_dir)) as api:
            world = api_load.build_world(api, Path(data_dir), wallets)
            _log(f"{PROCESSES} workers {worker_pids(url)}, {wallets} wallets; warm-up {warmup_s} s, "
                 f"then {duration_s} s with {clients} clients")
            measures = Measures(time.monotonic() + warmup_s)
            asyncio.run(_load(world, measures, clients, measures.measured_from_s + duration_s, url,
                              amount_tyiyn_max, seed))
            for payer, payee, amount in measures.accepted.values():
                payer.net_tyiyn -= amount
                payee.net_tyiyn += amount
            broken = api_load.check(world, url)
            if measures.errors:
                _log(api_load.server_errors(Path(data_dir)))
    start_mb, end_mb = measures.rss_mb[0][1], measures.rss_mb[-1][1]
    p99s = p99_by_window(measures.latencies, duration_s)
    _log(f"errors {dict(measures.errors) or 'none'}, broken {broken or 'none'}")
    return {
        "duration_s": duration_s, "processes": PROCESSES, "clients": clients,
        "requests": measures.requests, "errors": sum(measures.errors.values()),
        "error_kinds": dict(measures.errors),
        "rss_mb_start": start_mb, "rss_mb_end": end_mb,
        "rss_growth_pct": round((end_mb - start_mb) / start_mb * 100, 1),
        "rss_mb_samples": [mb for _, mb in measures.rss_mb],
        "p99_ms_first_minute": p99s[0], "p99_ms_last_minute": p99s[-1], "p99_ms_max_minute": max(p99s),
        "p99_ms_by_minute": p99s,
        "payments_per_s": round(len(measures.accepted) / (duration_s + warmup_s), 1),
        "worker_restarts": len(measures.worker_pids) - PROCESSES,
        "verified": not broken,
        "load_average": [round(figure, 2) for figure in os.getloadavg()],
    }


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration-s", type=float, default=600.0, help="the measured run, after the warm-up")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--wallets", type=int, default=128)
    parser.add_argument("--warmup-s", type=float, default=None, help="default: a tenth of the run, at most 30 s")
    args = parser.parse_args(argv)
    warmup_s = args.warmup_s if args.warmup_s is not None else min(30.0, args.duration_s / 10)
    figures = run(args.duration_s, args.clients, args.wallets, warmup_s)
    print(json.dumps(figures))
    return 0 if figures["errors"] == 0 and figures["verified"] else 1


if __name__ == "__main__":
    sys.exit(main())
