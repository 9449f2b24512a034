"""Payments through a PostgreSQL failover: is every acknowledged payment still there?

    .venv/bin/python bench/failover.py                  # 5 kills and 1 partition, 32 clients
    .venv/bin/python bench/failover.py --failovers 1 --partitions 0 --clients 8

Starts etcd and three Patroni-managed PostgreSQL nodes with synchronous replication
(`digisom.devtools.patroni_cluster`, installed with apt-get when missing), then
`digisom serve` with 2 API processes on the cluster's multi-host URL, and a world of
funded wallets (bench/api_load.py). Each round: the clients pay between random wallets
(a 503 or a lost connection is retried with the same Idempotency-Key, as the API asks),
the primary is killed with SIGKILL (or, in a partition round, its whole node is frozen
with SIGSTOP until another node leads, then thawed with SIGCONT), the clients go on
until a payment succeeds on the new primary, then stop; the checks run on the new
primary: every acknowledged (201) payment is there and completed (else `lost`), no
completed payment was not acknowledged and no key was answered with two payments (else
`duplicated`), every wallet holds what the acknowledged payments make it, circulation
equals issuance, and the ledger's journal and chart verify (`api_load.check`). Before
the next round the cluster is healthy again (the old primary rejoined as a standby).

Prints progress on stderr and one JSON line: failovers, acknowledged, lost, duplicated,
max_unavailable_s (the longest time from a fault to the first payment sent after it and
acknowledged), p99_latency_ms (of a payment, retries included), and partition_unavailable_s,
server_errors (answers >= 500 other than 503), broken (invariants broken). Exits 1 if any
payment was lost or duplicated or a check broke.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: `bench` is a namespace package
from bench import api_load
from digisom.devtools.patroni_cluster import PatroniCluster

API_PROCESSES: Final = 2
RETRY_PAUSE_S: Final = 0.2
REQUEST_TIMEOUT_S: Final = 60.0
# A payment sent when the load stops is still retried until answered, for at most this long.
FINISH_TIMEOUT_S: Final = 120.0
WARMUP_S: Final = 2.0
AFTER_RECOVERY_S: Final = 2.0
RECOVERY_TIMEOUT_S: Final = 90.0
HEALTHY_TIMEOUT_S: Final = 120.0
UNAVAILABLE_TARGET_S: Final = 10.0  # per failover (issue 20)


@dataclass
class Payment:
    payer: api_load.Wallet
    payee: api_load.Wallet
    amount_tyiyn: int


@dataclass
class Load:
    """Clients paying until told to stop; what they saw."""

    world: api_load.LoadWorld
    clients: int
    seed: int
    acknowledged: dict[str, Payment] = field(default_factory=dict)  # payment id -> payment
    answered_keys: dict[str, str] = field(default_factory=dict)  # idempotency key -> payment id
    mismatched: int = 0  # keys answered with two payment ids
    unresolved: int = 0  # payments never answered within FINISH_TIMEOUT_S
    server_errors: int = 0
    successes: list[tuple[float, float]] = field(default_factory=list)  # (sent, answered), monotonic s
    latencies_ms: list[float] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _round: int = 0

    def start(self) -> None:
        self._stop.clear()
        self._round += 1
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), name="failover-load")
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def first_success_after(self, moment_s: float) -> float | None:
        """When the first payment sent after `moment_s` was acknowledged."""
        answered = [done for sent, done in self.successes if sent >= moment_s]
        return min(answered) if answered else None

    async def _run(self) -> None:
        limits = httpx.Limits(max_connections=self.clients, max_keepalive_connections=self.clients,
                              keepalive_expiry=api_load.KEEPALIVE_S)
        async with httpx.AsyncClient(base_url=self.world.url, timeout=REQUEST_TIMEOUT_S, limits=limits) as client:
            await asyncio.gather(*(self._client(client, n) for n in range(self.clients)))

    async def _client(self, client: httpx.AsyncClient, number: int) -> None:
        rng = random.Random(self.seed * 7919 + self._round * 104_729 + number)
        sent = 0
        while not self._stop.is_set():
            payer, payee = rng.sample(self.world.wallets, 2)
            payment = Payment(payer, payee, rng.randint(1, api_load.PAYMENT_TYIYN_MAX))
            key = f"failover-{self._round}-{number}-{sent}"
            sent += 1
            await self._pay(client, key, payment)

    async def _pay(self, client: httpx.AsyncClient, key: str, payment: Payment) -> None:
        body = {"payer_wallet_id": payment.payer.id, "payee_wallet_id": payment.payee.id,
                **api_load._kgs(payment.amount_tyiyn)}
        headers = {"Authorization": f"Bearer {payment.payer.token}", "Idempotency-Key": key}
        began = time.monotonic()
        stopped_at: float | None = None
        while True:
            sent = time.monotonic()
            try:
                answer = await client.post("/v1/payments", json=body, headers=headers)
            except httpx.TransportError:
                answer = None
            if answer is not None and answer.status_code < 500:
                if answer.status_code in (200, 201):
                    self._acknowledge(key, answer.json()["id"], payment, sent)
                    self.latencies_ms.append((time.monotonic() - began) * 1000)
                return  # acknowledged, or refused (a limit): either way answered
            if answer is not None and answer.status_code != 503:
                self.server_errors += 1
            if self._stop.is_set():
                stopped_at = stopped_at or time.monotonic()
                if time.monotonic() - stopped_at > FINISH_TIMEOUT_S:
                    self.unresolved += 1
                    return
            await asyncio.sleep(RETRY_PAUSE_S)  # the same key again: never a second payment

    def _acknowledge(self, key: str, payment_id: str, payment: Payment, sent: float) -> None:
        earlier = self.answered_keys.setdefault(key, payment_id)
        if earlier != payment_id:
            self.mismatched += 1
        self.acknowledged[payment_id] = payment
        self.successes.append((sent, time.monotonic()))


def check(load: Load, db_url: str) -> tuple[int, int, list[str]]:
    """(lost, duplicated, broken invariants) on the current primary, now that no client pays."""
    for wallet in load.world.wallets:
        wallet.net_tyiyn = 0
    for payment in load.acknowledged.values():
        payment.payer.net_tyiyn -= payment.amount_tyiyn
        payment.payee.net_tyiyn += payment.amount_tyiyn
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT id, status FROM cbdc_payments WHERE kind = 'p2p'").fetchall()
    completed = {payment_id for payment_id, status in rows if status == "completed"}
    lost = len(set(load.acknowledged) - completed)
    duplicated = len(completed - set(load.acknowledged)) + load.mismatched
    broken = api_load.check(load.world, db_url)
    if load.unresolved:
        broken.append(f"{load.unresolved} payments never answered")
    return lost, duplicated, broken


def run(failovers: int, partitions: int, clients: int, wallets: int, seed: int = 20) -> dict[str, Any]:
    """The whole harness; the figures of the JSON line."""
    unavailable_s: list[float] = []
    partition_s: list[float] = []
    lost = duplicated = 0
    broken: list[str] = []
    with PatroniCluster() as cluster, tempfile.TemporaryDirectory() as data_dir:
        url = cluster.create_database("digisom")
        _log(f"cluster up: {cluster.members()}")
        try:
            with api_load.running_server(API_PROCESSES, url, Path(data_dir)) as api:
                world = api_load.build_world(api, Path(data_dir), wallets)
                load = Load(world, clients, seed)
                for number, partition in enumerate([False] * failovers + [True] * partitions, 1):
                    old = cluster.wait_healthy(HEALTHY_TIMEOUT_S)
                    load.start()
                    try:
                        time.sleep(WARMUP_S)
                        fault_s = time.monotonic()
                        if partition:
                            cluster.freeze(old)
                        else:
                            cluster.kill_postgres(old)
                        try:
                            new = cluster.wait_leader(RECOVERY_TIMEOUT_S, not_node=old)
                        finally:
                            if partition:
                                cluster.thaw(old)
                        recovered = _wait_first_success(load, fault_s)
                        (partition_s if partition else unavailable_s).append(recovered - fault_s)
                        time.sleep(AFTER_RECOVERY_S)
                    finally:
                        load.stop()
                    round_lost, round_duplicated, round_broken = check(load, url)
                    lost, duplicated = max(lost, round_lost), max(duplicated, round_duplicated)
                    broken += round_broken
                    _log(f"failover {number} ({'partition' if partition else 'kill'}) {old.name} -> {new.name}: "
                         f"{recovered - fault_s:.1f} s unavailable, {len(load.acknowledged)} acknowledged, "
                         f"lost {round_lost}, duplicated {round_duplicated}, broken {round_broken or 'none'}")
                if load.server_errors:
                    _log(api_load.server_errors(Path(data_dir), lines_max=400))
        except BaseException:
            _log(_server_log_errors(Path(data_dir)))
            raise
    latencies = load.latencies_ms
    return {
        "failovers": failovers + partitions,
        "acknowledged": len(load.acknowledged),
        "lost": lost,
        "duplicated": duplicated,
        "max_unavailable_s": round(max(unavailable_s + partition_s, default=0.0), 1),
        "p99_latency_ms": round(statistics.quantiles(latencies, n=100, method="inclusive")[98], 1)
        if len(latencies) > 1 else 0.0,
        "partition_unavailable_s": round(max(partition_s), 1) if partition_s else None,
        "server_errors": load.server_errors,
        "broken": broken,
    }


def _server_log_errors(data_dir: Path, lines_max: int = 80) -> str:
    """The server log's warnings and errors, for a failure message."""
    lines = (data_dir / "server.log").read_text(errors="replace").splitlines()
    shown = [line for line in lines if "Error" in line or "WARNING" in line or "unavailable" in line]
    return "\n".join(shown[-lines_max:])


def _wait_first_success(load: Load, fault_s: float) -> float:
    deadline = time.monotonic() + RECOVERY_TIMEOUT_S
    while time.monotonic() < deadline:
        answered = load.first_success_after(fault_s)
        if answered is not None:
            return answered
        time.sleep(0.05)
    raise RuntimeError(f"no payment succeeded within {RECOVERY_TIMEOUT_S} s of the fault")


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--failovers", type=int, default=5, help="primaries killed with SIGKILL")
    parser.add_argument("--partitions", type=int, default=1, help="primaries frozen with SIGSTOP")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--wallets", type=int, default=20)
    args = parser.parse_args(argv)
    figures = run(args.failovers, args.partitions, args.clients, args.wallets)
    print(json.dumps(figures))
    return 0 if figures["lost"] == 0 and figures["duplicated"] == 0 and not figures["broken"] else 1


if __name__ == "__main__":
    sys.exit(main())
