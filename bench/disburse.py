"""Bulk disbursement on PostgreSQL: N payees uploaded, approved and paid, with the paying
process killed once (SIGKILL) at a random point and a second process resuming the run.

    .venv/bin/python bench/disburse.py                  # 1,000,000 payees
    .venv/bin/python bench/disburse.py --quick          # 20,000 payees, same JSON shape
    .venv/bin/python bench/disburse.py --payees 200000 --seed 7

Starts a throwaway PostgreSQL with default durable settings (fsync, synchronous_commit),
then, untimed: a funded treasury account, N recipient wallets (bulk `create_accounts`), a
programme whose budget line holds the file's total, and a CSV file of N rows (PIN,
amount, region, name). The recipient directory maps the generated 14-digit PINs to those
wallets; it is an in-memory dict that each child process builds before the clock starts.

Before the set-up, pgbench TPC-B (scale 10, 8 clients, 30 s; bench/pgbench_peer.py, as
bench/ledger.py runs it) on the same server gives `pgbench_tps`, the peer of
`payees_per_s` (`payees_per_s_to_pgbench_tps`; the target is at least 4).

Timed, in a child process: upload (parse, check, directory, insert), approve, execute. The
child is killed with SIGKILL after a number of batches and a delay that the seed chooses;
a second child resumes the run to completion. `seconds` runs from the first child's
upload to the second child's completion, the kill and the restart included.

Checked independently of the disbursement service, from the ledger's own tables: how many
DISBURSEMENT transfers from the treasury each recipient wallet received (`double_payments`:
more than one; `missing_payments`: none), the treasury's debits against the file's total,
the budget line against its starting value less the total, and the ledger verifier (hash
chain and every balance replayed). Prints progress on stderr and one JSON object as its
last line; exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import psycopg

from digisom.api.runtime import domain_engine
from digisom.devtools.postgres_server import TemporaryPostgres
from digisom.disbursement.migrations import migrate
from digisom.disbursement.model import FileFormat, TransferCode
from digisom.disbursement.ports import Channel, Destination, DirectCredits, SourceWallet
from digisom.disbursement.service import DisbursementService
from digisom.kernel.chart import LEDGER_KGS
from digisom.ledger.audit import verify
from digisom.ledger.model import BATCH_EVENTS_MAX, Account, AccountFlags, Transfer
from digisom.ledger.results import CreateAccountResult, CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.stores.url import open_store
from pgbench_peer import FULL_SCALE, FULL_SECONDS, pgbench_tps

CENTRAL_BANK = 1
TREASURY = 2
WALLETS_FIRST = 1_000_000  # recipient n's wallet is WALLETS_FIRST + n
PROGRAMME = "pensions"
PERIOD = "2026-11"
CLERK, SUPERVISOR = "treasury-clerk", "treasury-supervisor"
REGIONS = ("Bishkek", "Osh city", "Batken", "Chuy", "Issyk-Kul", "Jalal-Abad", "Naryn", "Osh", "Talas")
AMOUNT_TYIYN_MIN, AMOUNT_TYIYN_MAX = 5_000_00, 25_000_00  # a month's pension, 5,000 to 25,000 som
QUICK_PAYEES = 20_000
# The kill lands after a random number of recorded batches, then a random delay up to this,
# so it can fall anywhere inside a batch: before, during or after the ledger's commit.
KILL_DELAY_MAX_S = 0.5
CHILD_TIMEOUT_S = 1800
# The smoke run's peer: a tiny pgbench (its figure means nothing, its key is there).
QUICK_PGBENCH_SECONDS, QUICK_PGBENCH_SCALE = 2, 1


@dataclass(frozen=True, slots=True)
class Payees:
    """The generated recipients: PIN, amount and region of payee n at index n."""

    pins: list[str]
    amounts_tyiyn: list[int]

    @property
    def total_tyiyn(self) -> int:
        return sum(self.amounts_tyiyn)


def make_payees(count: int, seed: int) -> Payees:
    """Distinct random 14-digit PINs (no leading zero) and amounts; the seed decides."""
    rng = random.Random(seed)
    pins = [str(p) for p in rng.sample(range(10**13, 10**14), count)]
    amounts = [rng.randint(AMOUNT_TYIYN_MIN, AMOUNT_TYIYN_MAX) for _ in range(count)]
    return Payees(pins, amounts)


class BenchDirectory:
    """The alias directory for the bench: every generated PIN has a wallet."""

    def __init__(self, payees: Payees) -> None:
        self._known = {pin: Destination(Channel.WALLET, WALLETS_FIRST + n) for n, pin in enumerate(payees.pins)}

    def resolve(self, pins: Sequence[str], benefit_scheme: str = "") -> Mapping[str, Destination]:
        if benefit_scheme:
            raise ValueError("the bench pays a cash programme")
        known = self._known
        return {pin: known[pin] for pin in pins if pin in known}


TREASURY_WALLET = "wbenchtreasury"


class BenchSources(DirectCredits):
    """The one government wallet the bench's programme pays from, always active."""

    def source_wallet(self, wallet_id: str) -> SourceWallet | None:
        return SourceWallet(wallet_id, TREASURY, True, False, False) if wallet_id == TREASURY_WALLET else None


def csv_file(payees: Payees) -> bytes:
    lines = ["pin,amount_tyiyn,region,name"]
    lines += [
        f"{pin},{amount},{REGIONS[n % len(REGIONS)]},Recipient {n}"
        for n, (pin, amount) in enumerate(zip(payees.pins, payees.amounts_tyiyn, strict=True))
    ]
    return ("\n".join(lines) + "\n").encode()


def log(message: str) -> None:
    print(f"[disburse {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- set-up (untimed) --------------------------------------------------------------------


def set_up(url: str, payees: Payees) -> None:
    """Accounts, the treasury's funding and the programme."""
    store = open_store(url)
    ledger = Ledger(store)
    head = [
        Account(CENTRAL_BANK, LEDGER_KGS, 1),
        Account(TREASURY, LEDGER_KGS, 2, flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
    ]
    wallets = [Account(WALLETS_FIRST + n, LEDGER_KGS, 5) for n in range(len(payees.pins))]
    accounts = head + wallets
    for start in range(0, len(accounts), BATCH_EVENTS_MAX):
        results = ledger.create_accounts(accounts[start : start + BATCH_EVENTS_MAX])
        if set(results) != {CreateAccountResult.ok}:
            raise RuntimeError(f"accounts refused: {set(results)}")
    funding = Transfer(1, CENTRAL_BANK, TREASURY, payees.total_tyiyn, LEDGER_KGS, 1)
    if ledger.create_transfers([funding]) != [CreateTransferResult.ok]:
        raise RuntimeError("the treasury's funding was refused")
    store.close()
    engine = domain_engine(url)
    migrate(engine)
    DisbursementService(
        engine, BenchDirectory(Payees([], [])), Ledger(open_store(url)), BenchSources()
    ).create_programme(PROGRAMME, "Pensions", TREASURY_WALLET, payees.total_tyiyn)
    engine.dispose()


# -- the child processes (timed) --------------------------------------------------------


def child(config: dict[str, Any], out: IO[str]) -> int:
    """Upload, approve and execute (`run`), or resume a run (`resume`); reports on `out`."""

    def say(*words: object) -> None:
        out.write(" ".join(str(w) for w in words) + "\n")
        out.flush()

    url = config["url"]
    # Only uploading resolves PINs; the resumed run pays the destinations stored at upload.
    payees = make_payees(config["payees"], config["seed"]) if config["mode"] == "run" else Payees([], [])
    directory = BenchDirectory(payees)
    engine = domain_engine(url)
    store = open_store(url)
    service = DisbursementService(engine, directory, Ledger(store), BenchSources())
    say("ready")
    if config["mode"] == "run":
        data = Path(config["csv"]).read_bytes()
        started = time.perf_counter()
        run = service.upload(CLERK, f"bench-{config['seed']}", PROGRAMME, PERIOD, data, FileFormat.CSV)
        say("uploaded", run.id, round(time.perf_counter() - started, 3))
        service.approve(SUPERVISOR, run.id)
        run_id = run.id
    else:
        run_id = config["run_id"]
    say("executing")
    progress = service.execute(run_id, on_batch=lambda p: say("batch", p.batches_done))
    say("done", progress.status.value, progress.paid)
    store.close()
    engine.dispose()
    return 0


def spawn(config: dict[str, Any], scratch: Path, name: str) -> subprocess.Popen[str]:
    path = scratch / f"{name}.json"
    path.write_text(json.dumps(config))
    return subprocess.Popen(
        [sys.executable, __file__, "--child", str(path)], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )


def read_line(process: subprocess.Popen[str]) -> list[str]:
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.wait(CHILD_TIMEOUT_S)
        raise RuntimeError(f"child exited early ({process.returncode})")
    return line.split()


@dataclass(frozen=True, slots=True)
class Timings:
    run_id: str
    seconds: float
    phases: dict[str, float]
    killed_after_batches: int
    killed: bool


def timed_run(url: str, csv_path: Path, payees: int, seed: int, scratch: Path) -> Timings:
    """The first child until the kill, then the second until the run completes."""
    rng = random.Random(seed)
    batches = -(-payees // BATCH_EVENTS_MAX)
    kill_after = rng.randrange(0, max(1, batches - 1))
    kill_delay_s = rng.uniform(0, KILL_DELAY_MAX_S)
    log(f"timed: kill after {kill_after} of {batches} batches + {kill_delay_s:.3f} s")
    config = {"mode": "run", "url": url, "csv": str(csv_path), "payees": payees, "seed": seed}
    first = spawn(config, scratch, "run")
    while read_line(first) != ["ready"]:
        pass
    started = time.perf_counter()
    words = read_line(first)
    assert words[0] == "uploaded", words
    run_id = words[1]
    phases = {"upload_s": float(words[2])}
    while read_line(first) != ["executing"]:
        pass
    executing = time.perf_counter()
    phases["upload_and_approve_s"] = executing - started
    done = kill_after
    while done > 0:
        words = read_line(first)
        if words[0] == "batch":
            done -= 1
    time.sleep(kill_delay_s)
    killed = first.poll() is None
    first.send_signal(signal.SIGKILL)
    first.wait(CHILD_TIMEOUT_S)
    killed_at = time.perf_counter()
    phases["execute_until_kill_s"] = killed_at - executing
    log(f"killed: {killed} after {killed_at - started:.1f} s; resuming in a new process")
    second = spawn({"mode": "resume", "url": url, "run_id": run_id}, scratch, "resume")
    while (words := read_line(second))[0] != "executing":
        pass
    resuming = time.perf_counter()
    phases["restart_s"] = resuming - killed_at
    while (words := read_line(second))[0] != "done":
        pass
    finished = time.perf_counter()
    if second.wait(CHILD_TIMEOUT_S) != 0 or words[1] != "completed":
        raise RuntimeError(f"the resumed run did not complete: {words}")
    phases["resume_s"] = finished - resuming
    return Timings(run_id, finished - started, phases, kill_after, killed)


# -- independent checks ------------------------------------------------------------------


def _u128(value: bytes) -> int:
    return int.from_bytes(value, "big")


def _id128(value: int) -> bytes:
    return value.to_bytes(16, "big")


def check(url: str, payees: Payees) -> dict[str, Any]:
    """Count, from the ledger's tables, what each recipient wallet received."""
    expected = {WALLETS_FIRST + n: amount for n, amount in enumerate(payees.amounts_tyiyn)}
    received: dict[int, int] = {}
    paid_tyiyn = 0
    wrong_amounts = 0
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT credit_account_id, count(*), sum(amount) FROM transfers"
            " WHERE debit_account_id = %s AND code = %s GROUP BY credit_account_id",
            (_id128(TREASURY), int(TransferCode.DISBURSEMENT)),
        )
        for account, count, amount in rows:
            received[_u128(account)] = count
            paid_tyiyn += int(amount)
            wrong_amounts += count == 1 and expected.get(_u128(account)) != int(amount)
        (treasury_debits,) = conn.execute(
            "SELECT debits_posted FROM accounts WHERE id = %s", (_id128(TREASURY),)
        ).fetchone() or (None,)
        budget, remaining = conn.execute(
            "SELECT budget_tyiyn, remaining_tyiyn FROM disbursement_programmes WHERE id = %s", (PROGRAMME,)
        ).fetchone() or (None, None)
    log("verifying the ledger (hash chain, balances replayed)")
    started = time.perf_counter()
    store = open_store(url)
    report = verify(store)
    store.close()
    return {
        "double_payments": sum(1 for count in received.values() if count > 1),
        "missing_payments": sum(1 for account in expected if account not in received),
        "unexpected_recipients": sum(1 for account in received if account not in expected),
        "wrong_amounts": wrong_amounts,
        "treasury_debit_matches_total": treasury_debits is not None and int(treasury_debits) == payees.total_tyiyn,
        "transfers_total_matches": paid_tyiyn == payees.total_tyiyn,
        "budget_fell_by_total": budget is not None and budget - remaining == payees.total_tyiyn,
        "ledger_verified": report.ok,
        "verify_s": round(time.perf_counter() - started, 1),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--payees", type=int, help="payees (default 1,000,000; 20,000 with --quick)")
    parser.add_argument("--quick", action="store_true", help="a small run in under 60 s, same JSON shape")
    parser.add_argument("--seed", type=int, default=2026, help="decides the payees and the kill point")
    parser.add_argument("--child", help=argparse.SUPPRESS)  # internal: a timed child's config file
    args = parser.parse_args(argv)
    if args.child:
        return child(json.loads(Path(args.child).read_text()), sys.stdout)
    count = args.payees or (QUICK_PAYEES if args.quick else 1_000_000)
    payees = make_payees(count, args.seed)
    with TemporaryPostgres() as server, tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        log("pgbench TPC-B on the same server (the peer)")
        peer_tps = pgbench_tps(server, *((QUICK_PGBENCH_SECONDS, QUICK_PGBENCH_SCALE) if args.quick
                                         else (FULL_SECONDS, FULL_SCALE)))
        url = server.create_database("disburse")
        log(f"set-up: {count} wallets, the treasury, the programme")
        set_up(url, payees)
        csv_path = scratch / "payees.csv"
        csv_path.write_bytes(csv_file(payees))
        load_before = os.getloadavg()[0]
        timings = timed_run(url, csv_path, count, args.seed, scratch)
        load_after = os.getloadavg()[0]
        log(f"run completed in {timings.seconds:.1f} s; checking")
        checks = check(url, payees)
    figures: dict[str, Any] = {
        "payees": count,
        "seconds": round(timings.seconds, 2),
        "payees_per_s": round(count / timings.seconds),
        "pgbench_tps": round(peer_tps, 1),
        # The target: at least 4.
        "payees_per_s_to_pgbench_tps": round(count / timings.seconds / peer_tps, 2),
        "killed_and_resumed": timings.killed,
        "double_payments": checks.pop("double_payments"),
        "missing_payments": checks.pop("missing_payments"),
        "killed_after_batches": timings.killed_after_batches,
        **{key: round(value, 2) for key, value in timings.phases.items()},
        **checks,
        "seed": args.seed,
        # The machine may be shared: its 1-minute load average before and after the timed part.
        "load_average_1m": [round(load_before, 2), round(load_after, 2)],
        "cpus": os.cpu_count(),
    }
    passed = (
        figures["killed_and_resumed"]
        and figures["double_payments"] == 0
        and figures["missing_payments"] == 0
        and checks["unexpected_recipients"] == 0
        and checks["wrong_amounts"] == 0
        and checks["treasury_debit_matches_total"]
        and checks["transfers_total_matches"]
        and checks["budget_fell_by_total"]
        and checks["ledger_verified"]
    )
    print(json.dumps(figures))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
