"""Offline payments: message size, QR version, payer and payee latency, pure sync throughput.

Measures, in one run:

- payment_bytes: the largest payment generated in this run (worst_case: every integer
  field at its widest), and the QR version it needs (binary mode, level M);
- sign_us_p50: `Device.pay` (checks, CBOR encoding, Ed25519 signature), median;
- verify_us_p50: `Device.receive`, the payee's full offline verification of a payment
  from a payer it has met before (decode, payee, certificate expiry and revocation
  as of the last sync, signature, limits, replay, counter and chain), median over
  `--verifications`; verify_cold_us_p50 adds first contact (the payer's certificate
  chain verified); the peer is one bare Ed25519 verification;
- sync (the issue's figure): `--payments` distinct payments (default 1,000,000) uploaded
  by payers and payees (so twice), with cloned devices double-spending, synced into the
  ledger on a throwaway PostgreSQL server: `OfflineService.settle_backlog` — the backlog
  split by payer into runs of about `--run-payloads` payloads; per run: load the
  settlement book, verify and settle (signatures on `--workers` processes), store the
  book and the run, post every payout to the ledger in pipelined batches of 8,190
  transfers (on a thread, while the next run is settled), mark the run posted.
  sync_backend is "postgresql". Setup (registering and funding the
  devices) is outside the clock. `--backend sqlite` runs the same on a SQLite file
  (the test suite does, small);
  sync_load_s / sync_settle_s / sync_store_s / sync_post_wait_s split sync_seconds, summed
  over the runs (books and certificates loaded; `settle`, where decoding and
  verification overlap; the run stored; waiting for a run's posting); sync_post_s is the
  posting thread's own time, most of it beside the next run's steps; sync_runs the runs;
  sync_process_cpu_s / sync_workers_cpu_s: CPU seconds of this process (all its threads)
  and of the verifying workers during the sync (the workers' from /proc: Linux only);
- verify_only_per_s (the target's peer): one core only verifying the same signatures
  (every distinct payment's, each once), in the same run, before the sync; the target is
  sync_payments_per_s >= verify_only_per_s (`sync_to_verify_only` >= 1).
  decode_only_seconds: one core only decoding the distinct payloads (the decoding share);
- pure_sync_*: `settlement.settle` alone over the same uploads, no database (the peer:
  what the ledger integration costs on top).

Prints one JSON object as the last line of stdout.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from digisom.api.runtime import domain_engine
from digisom.cbdc.accounts import AccountCode
from digisom.devtools.postgres_server import TemporaryPostgres
from digisom.kernel.chart import LEDGER_KGS
from digisom.kernel.credit_plans import WALLET_LEG, CreditLeg, CreditPlan
from digisom.ledger.gc_pause import cyclic_gc_paused
from digisom.ledger.model import BATCH_EVENTS_MAX, Account, AccountFlags, Transfer
from digisom.ledger.service import Ledger
from digisom.offline import codec, migrations, registry
from digisom.offline.accounts import derive_id, guarantee_account, reserve_account, reserve_account_id
from digisom.offline.backlog import RUN_PAYLOADS_DEFAULT
from digisom.offline.certificates import Certificate, Role, TrustStore, issue_certificate, issue_revocation_list
from digisom.offline.device import Device
from digisom.offline.keys import SoftwareSigner, signature_valid
from digisom.offline.payment import PAYMENT_CONTEXT, decode_payment, sign_payment
from digisom.offline.ports import WalletCredit, WalletRef
from digisom.offline.qr import QR_ERROR_LEVEL, qr_version
from digisom.offline.service import OfflineService
from digisom.offline.settlement import (
    Finding,
    Fraud,
    SettlementContext,
    Verdict,
    settle,
    verify_sequentially,
)
from digisom.offline.upload import Receipt, Upload
from digisom.offline.verifier_pool import PoolVerifier
from digisom.stores.url import open_store

NOW_S = 1_790_000_000
DAY_S = 86_400
PER_PAYMENT_MAX_TYIYN = 500_000
CUMULATIVE_MAX_TYIYN = 100_000_000
PAYMENTS_PER_PAYER = 200
PAYEES = 100
CLONED_SHARE_PERCENT = 1
CLONE_PAYMENTS = 3


def key(label: str) -> SoftwareSigner:
    return SoftwareSigner.from_seed(hashlib.sha256(label.encode()).digest())


class Pki:
    """The central bank, one commercial bank, and device certificates on demand."""

    def __init__(self) -> None:
        self.central_bank, self.commercial_bank = key("central_bank"), key("commercial_bank")
        self.root = issue_certificate(
            self.central_bank, Role.CENTRAL_BANK, self.central_bank.public_key, NOW_S - DAY_S, NOW_S + 3650 * DAY_S
        )
        self.bank = issue_certificate(
            self.central_bank,
            Role.COMMERCIAL_BANK,
            self.commercial_bank.public_key,
            NOW_S - DAY_S,
            NOW_S + 1825 * DAY_S,
        )
        crl = issue_revocation_list(self.central_bank, 1, NOW_S, [])
        self.trust = TrustStore.create(self.root, crl, NOW_S).with_sync([self.bank], crl, NOW_S)

    def device(self, label: str, fund_tyiyn: int) -> Device:
        signer = key(label)
        cert = issue_certificate(
            self.commercial_bank,
            Role.DEVICE,
            signer.public_key,
            NOW_S - DAY_S,
            NOW_S + 90 * DAY_S,
            PER_PAYMENT_MAX_TYIYN,
            CUMULATIVE_MAX_TYIYN,
        )
        device = Device.provision(signer, cert, self.trust, NOW_S)
        if fund_tyiyn:
            device.fund(fund_tyiyn)
        return device


def median_us(samples_ns: Sequence[int]) -> float:
    return round(statistics.median(samples_ns) / 1000, 1)


def measure_device(pki: Pki, count: int) -> dict[str, float]:
    """Payer and payee latency on a pensioner paying a merchant `count` times."""
    pensioner = pki.device("pensioner", CUMULATIVE_MAX_TYIYN)
    merchant = pki.device("merchant", 0)
    merchant_state = merchant.snapshot()
    sign_ns, payloads = [], []
    for i in range(count):
        start = time.perf_counter_ns()
        payloads.append(pensioner.pay(merchant.device_id, 1_000 + i, NOW_S + i))
        sign_ns.append(time.perf_counter_ns() - start)
    cert = pensioner.certificate.encoded
    merchant.receive(payloads[0], NOW_S, cert)  # first contact, then the cached certificate
    verify_ns = []
    for i, payload in enumerate(payloads[1:], start=1):
        start = time.perf_counter_ns()
        merchant.receive(payload, NOW_S + i)
        verify_ns.append(time.perf_counter_ns() - start)
    cold_ns = []
    for payload in payloads[: min(count, 500)]:
        fresh = Device.from_state(key("merchant"), merchant_state)
        start = time.perf_counter_ns()
        fresh.receive(payload, NOW_S + count, cert)
        cold_ns.append(time.perf_counter_ns() - start)
    signer = key("peer")
    message = b"\x00" * 100
    signature = signer.sign(message)
    peer_ns = []
    for _ in range(count):
        start = time.perf_counter_ns()
        signature_valid(signer.public_key, signature, message)
        peer_ns.append(time.perf_counter_ns() - start)
    return {
        "sign_us_p50": median_us(sign_ns),
        "verify_us_p50": median_us(verify_ns),
        "verify_cold_us_p50": median_us(cold_ns),
        "peer_ed25519_verify_us_p50": median_us(peer_ns),
    }


def verify_only_seconds(uploads: Sequence[Upload], context: SettlementContext) -> tuple[int, float]:
    """(signatures, seconds) for one core only verifying the signatures settlement checks:
    every distinct payload of a known payer, decoded outside the clock (the peer of the
    sync figure: the issue wants the sync at least as fast per payment)."""
    payloads = list(dict.fromkeys(p for u in uploads for p in (*u.sent, *(r.payload for r in u.received))))
    checks = []
    for payment in map(decode_payment, payloads):
        payer = context.devices.get(payment.payer_key_id)
        if payer is not None:
            checks.append((payer.subject_key, payment.signature, PAYMENT_CONTEXT + payment.body))
    start = time.perf_counter()
    verdicts = verify_sequentially(checks)
    seconds = time.perf_counter() - start
    assert all(verdicts), "the bench signs every payment validly"
    return len(checks), seconds


def children_cpu_s() -> float:
    """CPU seconds (user and system) of this process's live children so far: the verifying
    workers. From /proc (Linux); 0.0 where it does not exist."""
    ticks_per_s = os.sysconf("SC_CLK_TCK")
    total = 0
    for child in multiprocessing.active_children():
        try:
            with open(f"/proc/{child.pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks_per_s


def decode_only_seconds(uploads: Sequence[Upload]) -> float:
    """One core decoding every distinct uploaded payload (settlement's decoding share)."""
    payloads = list(dict.fromkeys(p for u in uploads for p in (*u.sent, *(r.payload for r in u.received))))
    with cyclic_gc_paused():
        start = time.perf_counter()
        decoded = [decode_payment(p) for p in payloads]
        seconds = time.perf_counter() - start
    del decoded
    return seconds


def build_sync(
    pki: Pki, payments: int, rng: random.Random
) -> tuple[list[Upload], SettlementContext, set[tuple[bytes, int]], int]:
    """Devices paying merchants offline, some of them cloned; their uploads and the context."""
    payers = max(1, payments // PAYMENTS_PER_PAYER)
    merchants = [pki.device(f"merchant-{i}", 0) for i in range(PAYEES)]
    receipts: dict[bytes, list[Receipt]] = {m.device_id: [] for m in merchants}
    certificates: dict[bytes, Certificate] = {m.device_id: m.certificate for m in merchants}
    funded: dict[bytes, int] = {}
    uploads: list[Upload] = []
    injected: set[tuple[bytes, int]] = set()
    cloned = set(rng.sample(range(payers), max(1, payers * CLONED_SHARE_PERCENT // 100)))
    made = 0
    for p in range(payers):
        share = payments // payers + (1 if p < payments % payers else 0)
        fund_tyiyn = share * 200_000
        payer = pki.device(f"payer-{p}", fund_tyiyn)
        certificates[payer.device_id], funded[payer.device_id] = payer.certificate, fund_tyiyn
        clone_at = rng.randrange(max(1, share - CLONE_PAYMENTS)) if p in cloned else -1
        for i in range(share):
            if i == clone_at:
                clone = Device.from_state(key(f"payer-{p}"), payer.snapshot())
                for j in range(min(CLONE_PAYMENTS, share - i)):
                    merchant = merchants[rng.randrange(PAYEES)]
                    payload = clone.pay(merchant.device_id, 150_000 + j, NOW_S + made)
                    receipts[merchant.device_id].append(Receipt(payload, NOW_S + made, 1))
                    injected.add((payer.device_id, clone.snapshot().counter))
            merchant = merchants[rng.randrange(PAYEES)]
            payload = payer.pay(merchant.device_id, rng.randrange(1, 200_000), NOW_S + made)
            receipts[merchant.device_id].append(Receipt(payload, NOW_S + made, 1))
            made += 1
        uploads.append(payer.upload())
    uploads.extend(Upload(m.device_id, (), tuple(receipts[m.device_id])) for m in merchants)
    # Payments are a second apart: the server syncs a day after the last one (before,
    # runs over 86,400 payments rejected the later ones as dated in the future).
    now_s = NOW_S + made + DAY_S
    context = SettlementContext(devices=certificates, funded_tyiyn=funded, revoked_at_sequence={}, now_s=now_s)
    return uploads, context, injected, made + len(injected)


BANK = "AYIL"
# The chart's codes: the offline service's gateway lets it debit only what the chart allows.
WALLET_CODE, ISSUANCE_CODE, FLOAT_CODE = AccountCode.WALLET, AccountCode.ISSUANCE, AccountCode.BANK_FLOAT
ISSUANCE_ID = derive_id("bench", "issuance")
FLOAT_ID = derive_id("bench", "float", BANK)
DMNEC = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)


class BenchWallets:
    """`WalletDirectory`: one wallet per device, named after its key id."""

    def wallet(self, wallet_id: str) -> WalletRef | None:
        return WalletRef(wallet_id, derive_id("bench", "wallet", wallet_id), BANK, True)

    def held_wallets(self, wallet_ids: Sequence[str]) -> AbstractContextManager[None]:
        return nullcontext()

    def bank_float_account_id(self, bank_code: str) -> int:
        return FLOAT_ID

    def plan_credits(self, credits: Sequence[WalletCredit]) -> list[CreditPlan]:
        """No holding limits: every credit lands in its wallet whole."""
        return [(CreditLeg(WALLET_LEG, c.debit_account_id, derive_id("bench", "wallet", c.wallet_id), c.amount_tyiyn,
                           c.code),) for c in credits]


def create_accounts(ledger: Ledger, events: Sequence[Account]) -> None:
    for start in range(0, len(events), BATCH_EVENTS_MAX):
        results = ledger.create_accounts(events[start : start + BATCH_EVENTS_MAX])
        assert all(r.name in ("ok", "exists") for r in results), results[:3]


def create_transfers(ledger: Ledger, events: Sequence[Transfer]) -> None:
    for start in range(0, len(events), BATCH_EVENTS_MAX):
        results = ledger.create_transfers(events[start : start + BATCH_EVENTS_MAX])
        assert all(r.name in ("ok", "exists") for r in results), results[:3]


def set_up_ledger(url: str, context: SettlementContext) -> OfflineService:
    """Devices registered, wallets opened and reserves funded, in bulk (outside the clock)."""
    engine = domain_engine(url)
    migrations.migrate(engine)
    ledger = Ledger(open_store(url))
    wallets = BenchWallets()
    with engine.begin() as conn:
        for key_id, cert in context.devices.items():
            registry.register(conn, registry.RegisteredDevice(cert, key_id.hex(), BANK), "2026-01-01T00:00:00Z")
    accounts = [Account(ISSUANCE_ID, LEDGER_KGS, ISSUANCE_CODE, int(AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS)),
                Account(FLOAT_ID, LEDGER_KGS, FLOAT_CODE, DMNEC), guarantee_account(BANK)]
    for key_id in context.devices:
        accounts.append(Account(derive_id("bench", "wallet", key_id.hex()), LEDGER_KGS, WALLET_CODE, DMNEC))
        accounts.append(reserve_account(key_id))
    create_accounts(ledger, accounts)
    transfers = [Transfer(derive_id("bench", "float"), ISSUANCE_ID, FLOAT_ID, 10 * CUMULATIVE_MAX_TYIYN, LEDGER_KGS, 1)]
    for key_id, funded_tyiyn in context.funded_tyiyn.items():
        wallet = derive_id("bench", "wallet", key_id.hex())
        issue = derive_id("bench", "issue", key_id)
        transfers.append(Transfer(issue, ISSUANCE_ID, wallet, funded_tyiyn, LEDGER_KGS, 1))
        transfers.append(Transfer(derive_id("bench", "fund", key_id), wallet, reserve_account_id(key_id),
                                  funded_tyiyn, LEDGER_KGS, 40))
    create_transfers(ledger, transfers)
    return OfflineService(engine, ledger, wallets, lambda: context.now_s, context.verify_signatures)


@contextmanager
def ledger_url(backend: str) -> Iterator[str]:
    """A fresh database: a throwaway PostgreSQL server, or a SQLite file."""
    if backend == "postgresql":
        with TemporaryPostgres() as server:
            yield server.create_database("offline_bench")
    else:
        with tempfile.TemporaryDirectory(prefix="offline-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'ledger.db'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1_000_000, help="honest offline payments to sync")
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql",
                        help="database of the ledger-backed sync")
    parser.add_argument("--verifications", type=int, default=2_000, help="samples for sign and verify latency")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes verifying signatures")
    parser.add_argument("--run-payloads", type=int, default=RUN_PAYLOADS_DEFAULT,
                        help="payloads per settlement run of the backlog (a payer is never split)")
    parser.add_argument("--serial", action="store_true", help="post each run before settling the next")
    parser.add_argument("--seed", type=int, default=417)
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run for the test suite: 2,000 payments, 50 samples, SQLite, one worker, "
                             "runs of 1,000 payloads")
    args = parser.parse_args()
    if args.quick:
        args.payments, args.verifications, args.backend, args.workers = 2_000, 50, "sqlite", 1
        args.run_payloads = 1_000
    rng = random.Random(args.seed)
    pki = Pki()

    worst_case = sign_payment(
        key("pensioner"), b"\xff" * 8, codec.MAX_UINT, codec.MAX_UINT, b"\xff" * 32, codec.MAX_UINT, codec.MAX_UINT
    ).encoded
    latency = measure_device(pki, args.verifications)

    print(f"building {args.payments} payments...", file=sys.stderr)
    uploads, context, injected, distinct = build_sync(pki, args.payments, rng)
    payment_bytes = max(len(p) for u in uploads for p in u.sent)
    uploaded = sum(len(u.sent) + len(u.received) for u in uploads)
    print("one core verifying the same signatures, then decoding the payloads...", file=sys.stderr)
    verified, verify_seconds = verify_only_seconds(uploads, context)
    decode_seconds = decode_only_seconds(uploads)
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        verifier = PoolVerifier(pool) if args.workers > 1 else verify_sequentially
        list(verifier([(b"", b"", b"")] * args.workers * 2))  # start the workers outside the clock
        context = SettlementContext(
            context.devices, context.funded_tyiyn, context.revoked_at_sequence, context.now_s, verifier
        )
        print(f"settling {uploaded} uploaded payloads (pure)...", file=sys.stderr)
        start = time.perf_counter()
        pure = settle(uploads, context)
        pure_seconds = time.perf_counter() - start
        with ledger_url(args.backend) as url:
            print(f"setting up the ledger on {args.backend}...", file=sys.stderr)
            service = set_up_ledger(url, context)
            print(f"syncing {uploaded} uploaded payloads into the ledger...", file=sys.stderr)
            load_before = round(os.getloadavg()[0], 2)
            cpu_before = time.process_time(), children_cpu_s()
            start = time.perf_counter()
            outcome = service.settle_backlog(uploads, run_payloads=args.run_payloads, pipelined=not args.serial)
            sync_seconds = time.perf_counter() - start
            process_cpu_s, workers_cpu_s = (after - before for after, before in
                                            zip((time.process_time(), children_cpu_s()), cpu_before, strict=True))

    def double_counters(findings: Sequence[Finding]) -> set[tuple[bytes, int]]:
        return {(f.device_key_id, f.counter) for f in findings if f.fraud is Fraud.DOUBLE_COUNTER}

    decisions = outcome.decisions
    detected, pure_detected = double_counters(outcome.findings), double_counters(pure.findings)
    settled, pure_settled = len(decisions), len(pure.decisions)
    paid = sum(1 for d in decisions if d.verdict in (Verdict.RESERVE, Verdict.GUARANTEE))
    print(
        json.dumps(
            {
                "payment_bytes": payment_bytes,
                "payment_bytes_worst_case": len(worst_case),
                "qr_version": qr_version(worst_case),
                "qr_error_level": QR_ERROR_LEVEL.upper(),
                **latency,
                "sync_backend": args.backend,
                "sync_workers": args.workers,
                "sync_runs": len(outcome.runs),
                "sync_pipelined": not args.serial,
                "sync_payments": settled,
                "sync_payloads_uploaded": uploaded,
                "sync_seconds": round(sync_seconds, 2),
                "sync_payments_per_s": round(settled / sync_seconds),
                "verify_only_signatures": verified,
                "verify_only_seconds": round(verify_seconds, 2),
                "verify_only_per_s": round(verified / verify_seconds),
                "sync_to_verify_only": round(settled / sync_seconds / (verified / verify_seconds), 3),
                "decode_only_seconds": round(decode_seconds, 2),
                **{f"sync_{phase}_s": round(seconds, 2) for phase, seconds in outcome.phases_s.items()},
                "sync_process_cpu_s": round(process_cpu_s, 1),
                "sync_workers_cpu_s": round(workers_cpu_s, 1),
                "load_average_1m": [load_before, round(os.getloadavg()[0], 2)],
                "sync_payments_paid": paid,
                "sync_transfers_posted": outcome.transfers_posted,
                "sync_paid_tyiyn": outcome.paid_tyiyn,
                "double_spends_injected": len(injected),
                "double_spends_detected": len(injected & detected),
                "false_positives": len(detected - injected),
                "devices_revoked": len(outcome.revocations),
                "pure_sync_payments": pure_settled,
                "pure_sync_seconds": round(pure_seconds, 2),
                "pure_sync_payments_per_s": round(pure_settled / pure_seconds),
                "pure_double_spends_detected": len(injected & pure_detected),
                "payments_distinct_expected": distinct,
            }
        )
    )


if __name__ == "__main__":
    main()
