"""Load on a real `digisom serve --workers N` over HTTP, and the checks after it.

Shared by `bench/api.py` (payments per second with 1, 2 and 4 processes) and the
multi-process test. Everything talks to 127.0.0.1 and stops by itself.

The world: two banks, `wallet_count` individual wallets (tier 1) split between them,
each with a linked deposit and a starting balance near its holding limit. Clients pay
between random wallets as the payer's holder; some requests are sent twice at once with
one idempotency key. Afterwards `check` verifies, from the server's own answers and the
ledger: no negative balance or deposit, no holding or inflow limit exceeded, every
wallet's wallet-plus-deposit total equals its start plus what the accepted payments
brought minus what they took (a payment settled twice would break it), circulation
equals issuance, and the ledger's hash chain and balances verify.

At the same time, optionally: banks sending RTGS payments to each other
(`bench/rtgs_load.py`) and devices funded from the wallets, paying offline and syncing
(`bench/offline_load.py`); `check` runs their checks too, and the wallets' totals count
what offline funding took and offline syncs paid.
"""

from __future__ import annotations

import asyncio
import random
import re
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import httpx

from bench import offline_load, rtgs_load
from digisom.api.signing_key import load_or_create_key
from digisom.http.auth import TokenIssuer
from digisom.kernel.access import Role
from digisom.kernel.chart_audit import audit_chart
from digisom.ledger.audit import verify
from digisom.stores.url import open_store

BANKS: Final = ("AYIL", "BAKAI")
TIER: Final = 1
START_TYIYN: Final = 8_000_000  # of tier 1's 10,000,000 holding limit: payments push wallets over it
DEPOSIT_TYIYN: Final = 20_000_000
PAYMENT_TYIYN_MAX: Final = 3_000_000
REPLAY_SHARE: Final = 0.1  # of payments sent twice at once with one idempotency key
# Generous: four workers each import the whole app (portal and console included) and migrate,
# on a 2-core machine that may be busy; an idle one starts in seconds.
SERVER_START_TIMEOUT_S: Final = 180.0
KEEPALIVE_S: Final = 2.0
TRANSPORT_ATTEMPTS: Final = 3
_LISTENING = re.compile(r"listening on (http://\S+)")
_STARTED: Final = "Application startup complete."  # uvicorn logs it once per worker


@dataclass
class Wallet:
    """A wallet of the load world and what the accepted payments did to it."""

    id: str
    holder: str
    bank: str
    token: str
    start_tyiyn: int
    net_tyiyn: int = 0


@dataclass
class LoadWorld:
    """The server's URL, tokens per operator, and the wallets."""

    url: str
    operators: dict[str, str]
    wallets: list[Wallet] = field(default_factory=list)
    rtgs: rtgs_load.RtgsLoad | None = None
    offline: offline_load.OfflineLoad | None = None


@dataclass
class LoadResult:
    """What the clients saw."""

    duration_s: float
    accepted: int
    statuses: Counter[int]
    latencies_ms: list[float]
    replays_mismatched: int
    transport_retries: int = 0  # requests sent again after a lost connection
    rtgs_submissions: int = 0  # distinct interbank payments sent
    rtgs_answers: Counter[str] = field(default_factory=Counter)  # ACSC / PDNG / RJCT
    offline_fundings: int = 0
    offline_syncs: int = 0
    other_statuses: Counter[int] = field(default_factory=Counter)  # of the RTGS and offline requests

    @property
    def payments_per_s(self) -> float:
        return self.accepted / self.duration_s if self.duration_s else 0.0

    def percentile_ms(self, share: float) -> float:
        """The latency below which `share` of requests finished."""
        if not self.latencies_ms:
            return 0.0
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[round(share * 100) - 1]


@contextmanager
def running_server(workers: int, db_url: str, data_dir: Path, rtgs_clock_iso: str | None = None,
                   serve_options: Sequence[str] = ()) -> Iterator[str]:
    """`digisom serve --workers N` on a free loopback port; yields its URL once every worker
    has started, stops it after. Its output goes to `data_dir/server.log` (a pipe nobody
    reads would fill up and stall the workers' logging). `rtgs_clock_iso` pins the RTGS's
    clock (`rtgs_load.RTGS_CLOCK_ISO` for RTGS clients); `serve_options` go to `serve` as they are."""
    command = [sys.executable, "-c", "from digisom.cli.main import app; app()", "serve", "--port", "0",
               "--workers", str(workers), "--db", db_url, "--data", str(data_dir)]
    if rtgs_clock_iso is not None:
        command += ["--rtgs-clock", rtgs_clock_iso]
    command += serve_options
    log_path = data_dir / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, text=True)
        try:
            yield _wait_until_up(process, log_path, workers)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def server_errors(data_dir: Path, lines_max: int = 60) -> str:
    """The tracebacks in a server's log, for a failure message."""
    text = (data_dir / "server.log").read_text(errors="replace")
    start = text.find("Traceback")
    return "\n".join(text[start:].splitlines()[:lines_max]) if start >= 0 else "(no traceback in the server log)"


def _wait_until_up(process: subprocess.Popen[str], log_path: Path, workers: int) -> str:
    """The server's URL, once the log shows every worker's start-up complete."""
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        match = _LISTENING.search(text)
        if match is not None and text.count(_STARTED) >= workers:
            return match.group(1)
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {text[-2000:]}")
        time.sleep(0.2)
    raise RuntimeError("the server did not start in time")


def build_world(url: str, data_dir: Path, wallet_count: int, rtgs: bool = False, offline_pairs: int = 0) -> LoadWorld:
    """Participants, reserves, issuance and `wallet_count` funded wallets, over HTTP; with
    `rtgs`, the banks as RTGS participants with reserves; `offline_pairs` pairs of wallets
    with a device each."""
    issuer = TokenIssuer(load_or_create_key(data_dir))
    operators = {"central": issuer.issue(Role.CENTRAL_BANK_OPERATOR, "nbkr-load"), "auditor": issuer.issue(
        Role.AUDITOR, "audit-load")} | {bank: issuer.issue(Role.BANK_OPERATOR, f"{bank}-load", bank) for bank in BANKS}
    world = LoadWorld(url, operators)
    total = wallet_count * (START_TYIYN + DEPOSIT_TYIYN)
    with httpx.Client(base_url=url, timeout=30) as client:
        for bank in BANKS:
            _post(client, operators["central"], "/v1/participants",
                  {"id": bank.lower(), "kind": "commercial_bank", "name": bank, "bank_code": bank})
            _post(client, operators["central"], "/v1/issuance/reserve-credits", {"bank_code": bank, **_kgs(total)})
            _post(client, operators[bank], "/v1/issuance/issues", {"bank_code": bank, **_kgs(total)})
        for number in range(wallet_count):
            bank = BANKS[number % len(BANKS)]
            holder = f"holder-{number}"
            opened = _post(client, operators[bank], "/v1/wallets", {
                "holder_id": holder, "holder_kind": "individual", "tier": TIER,
                "identity": {"full_name": f"Holder {number}", "phone": "+996555000111", "pin": "4321"}})
            token = issuer.issue(Role.WALLET_HOLDER, holder, bank)
            _post(client, operators[bank], f"/v1/wallets/{opened['id']}/deposit-credits",
                  _kgs(START_TYIYN + DEPOSIT_TYIYN), status=200)
            _post(client, token, f"/v1/wallets/{opened['id']}/funding", _kgs(START_TYIYN), status=200)
            world.wallets.append(Wallet(opened["id"], holder, bank, token, START_TYIYN + DEPOSIT_TYIYN))
        banks = {bank: operators[bank] for bank in BANKS}
        if rtgs:
            world.rtgs = rtgs_load.setup(client, operators["central"], banks, _post)
        if offline_pairs:
            world.offline = offline_load.setup(client, world.wallets, banks, offline_pairs)
    return world


def run_load(world: LoadWorld, clients: int, duration_s: float, seed: int = 7, rtgs_clients: int = 0) -> LoadResult:
    """`clients` concurrent clients paying between random wallets for `duration_s`; at the
    same time `rtgs_clients` banks' back offices (the world needs `rtgs`) and one client per
    offline pair of the world."""
    if rtgs_clients and world.rtgs is None:
        raise ValueError("RTGS clients need a world built with rtgs=True")
    return asyncio.run(_load(world, clients, duration_s, seed, rtgs_clients))


async def _load(world: LoadWorld, clients: int, duration_s: float, seed: int, rtgs_clients: int) -> LoadResult:
    statuses: Counter[int] = Counter()
    latencies_ms: list[float] = []
    accepted: dict[str, tuple[Wallet, Wallet, int]] = {}
    mismatched = 0
    # Idle connections are dropped before uvicorn's 5 s keep-alive ends, so a request never
    # races the server closing its connection.
    connections = clients + rtgs_clients + (len(world.offline.pairs) if world.offline else 0)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections,
                          keepalive_expiry=KEEPALIVE_S)
    retried = 0
    async with httpx.AsyncClient(base_url=world.url, timeout=60, limits=limits) as client:
        start = time.monotonic()
        deadline = start + duration_s

        async def post(body: dict[str, str], headers: dict[str, str]) -> httpx.Response:
            """POST a payment; a lost connection is retried with the same key, as the API
            asks of its clients (the outcome of the first attempt is then replayed)."""
            nonlocal retried
            for attempt in range(TRANSPORT_ATTEMPTS):
                try:
                    return await client.post("/v1/payments", json=body, headers=headers)
                except httpx.TransportError:
                    if attempt == TRANSPORT_ATTEMPTS - 1:
                        raise
                    retried += 1
            raise AssertionError("unreachable")

        async def one_client(number: int) -> None:
            nonlocal mismatched
            rng = random.Random(seed * 10_007 + number)
            sent = 0
            while time.monotonic() < deadline:
                payer, payee = rng.sample(world.wallets, 2)
                amount = rng.randint(1, PAYMENT_TYIYN_MAX)
                key = f"load-{number}-{sent}"
                sent += 1
                body = {"payer_wallet_id": payer.id, "payee_wallet_id": payee.id, **_kgs(amount)}
                headers = {"Authorization": f"Bearer {payer.token}", "Idempotency-Key": key}
                copies = 2 if rng.random() < REPLAY_SHARE else 1
                began = time.monotonic()
                answers = await asyncio.gather(*(post(body, headers) for _ in range(copies)))
                latencies_ms.append((time.monotonic() - began) * 1000)
                ids = set()
                for answer in answers:
                    statuses[answer.status_code] += 1
                    if answer.status_code in (200, 201):
                        ids.add(answer.json()["id"])
                if len(ids) > 1:
                    mismatched += 1  # one key answered with two payments
                for payment_id in ids:
                    accepted[payment_id] = (payer, payee, amount)

        others = []
        if world.rtgs is not None:
            others += [rtgs_load.run_client(client, world.rtgs, n, deadline, seed) for n in range(rtgs_clients)]
        if world.offline is not None:
            others += [offline_load.run_client(client, world.offline, pair, deadline, seed * 104_729 + n)
                       for n, pair in enumerate(world.offline.pairs)]
        await asyncio.gather(*(one_client(n) for n in range(clients)), *others)
        duration = time.monotonic() - start
    for payer, payee, amount in accepted.values():
        payer.net_tyiyn -= amount
        payee.net_tyiyn += amount
    result = LoadResult(duration, len(accepted), statuses, latencies_ms, mismatched, retried)
    if world.rtgs is not None:
        result.rtgs_submissions, result.rtgs_answers = world.rtgs.submissions, world.rtgs.answers
        result.other_statuses.update(world.rtgs.statuses)
    if world.offline is not None:
        offline_load.apply_to(world.offline)
        result.offline_fundings, result.offline_syncs = world.offline.fundings, world.offline.syncs
        result.other_statuses.update(world.offline.statuses)
    return result


def check(world: LoadWorld, db_url: str) -> list[str]:
    """Every invariant the load must keep; the list of those broken (empty: all hold)."""
    broken: list[str] = []
    with httpx.Client(base_url=world.url, timeout=30) as client:
        tiers = {t["tier"]: t for t in _get(client, None, "/v1/policy")["tiers"]}
        limit = int(tiers[TIER]["balance_limit_tyiyn"])
        for wallet in world.wallets:
            seen = _get(client, world.operators[wallet.bank], f"/v1/wallets/{wallet.id}")
            balance, deposit = int(seen["balance_tyiyn"]), int(seen["linked_deposit_tyiyn"])
            if balance < 0 or deposit < 0:
                broken.append(f"{wallet.holder}: negative balance {balance} or deposit {deposit}")
            if balance > limit:
                broken.append(f"{wallet.holder}: balance {balance} over the holding limit {limit}")
            if balance + deposit != wallet.start_tyiyn + wallet.net_tyiyn:
                broken.append(f"{wallet.holder}: holds {balance + deposit}, accepted payments make it "
                              f"{wallet.start_tyiyn + wallet.net_tyiyn} (settled twice or lost)")
            room = seen["limits"]["monthly_inflow_room_tyiyn"]
            if room is not None and int(room) < 0:
                broken.append(f"{wallet.holder}: monthly inflow over its limit by {-int(room)}")
        summary = _get(client, world.operators["central"], "/v1/issuance/summary")
        if not summary["balanced"] or summary["circulation_tyiyn"] != summary["issuance_liability_tyiyn"]:
            broken.append(f"circulation {summary['circulation_tyiyn']} is not issuance "
                          f"{summary['issuance_liability_tyiyn']}")
    if world.rtgs is not None:
        broken += rtgs_load.check(world.rtgs, db_url)
    if world.offline is not None:
        broken += offline_load.check(world.offline, db_url)
    store = open_store(db_url)
    try:
        report = verify(store)
        if not report.ok:
            broken.append(f"the ledger does not verify: {report}")
        chart = audit_chart(store)
        broken += [f"the chart of accounts does not allow {found}" for found in chart.violations]
    finally:
        store.close()
    return broken


def _kgs(tyiyn: int) -> dict[str, str]:
    return {"amount_tyiyn": str(tyiyn), "currency": "KGS"}


def _post(client: httpx.Client, token: str, path: str, body: dict[str, Any], status: int = 201) -> Any:
    answer = client.post(path, json=body, headers={"Authorization": f"Bearer {token}",
                                                   "Idempotency-Key": f"setup-{uuid.uuid4().hex}"})
    if answer.status_code != status:
        raise RuntimeError(f"{path}: {answer.status_code} {answer.text}")
    return answer.json()


def _get(client: httpx.Client, token: str | None, path: str) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    answer = client.get(path, headers=headers)
    if answer.status_code != 200:
        raise RuntimeError(f"{path}: {answer.status_code} {answer.text}")
    return answer.json()
