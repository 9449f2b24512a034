"""A backlog settled as runs split by payer, posted while the next run is verified, the
next run's signatures handed to the verifier before this run's rules and store: the
same decisions, payouts, fraud findings and balances as one run, and as the same runs
one after the other; every payment posted once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import pytest
from sqlalchemy import event

from digisom.ledger.model import Transfer
from digisom.ledger.results import CreateTransferResult
from digisom.offline import codec
from digisom.offline import tables as t
from digisom.offline.backlog import split_by_payer
from digisom.offline.device import Device
from digisom.offline.errors import OfflineError, Reason
from digisom.offline.payment import decode_payment
from digisom.offline.service import OfflineService
from digisom.offline.settlement import Fraud, SignatureCheck, Verdict, verify_sequentially
from digisom.offline.upload import Upload
from tests.offline.ledger_world import BANK, LedgerWorld, books_balance, wallet_account_id
from tests.offline.world import DAY_S, signer

PAYERS = ("pensioner", "student", "teacher", "mechanic")
RUN_PAYLOADS = 8  # a few payers' payloads per run, so the backlog makes several runs


def key_id(holder: str) -> bytes:
    return codec.key_id(signer(holder).public_key)


def mixed_backlog(world: LedgerWorld) -> list[Upload]:
    """Three payers paying two shops; a clone of the pensioner double-spending beyond its
    allowance (the guarantee pays the shop), a forged copy of a valid payment uploaded
    before it, a lone forgery and junk. And a clone of the mechanic paying the pensioner
    beyond the mechanic's allowance: unpaid, since the pensioner is fraudulent, which a
    run of the mechanic sees only if it reads the findings of the pensioner's run (an
    earlier one) after that run was stored."""
    merchant, shop = world.device("merchant"), world.device("shop")
    payers = [world.device(name, fund_tyiyn=60_000) for name in PAYERS[:3]]
    now_s = world.clock()
    for i in range(5):
        for payer in payers:
            payee = merchant if i % 2 else shop
            payee.receive(payer.pay(payee.device_id, 1_000 + i, now_s + i), now_s + i, payer.certificate.encoded)
    pensioner = payers[0]
    clone = Device.from_state(signer("pensioner"), pensioner.snapshot())
    for i in range(2):  # beyond the allowance together with the original's next payment
        shop.receive(clone.pay(shop.device_id, 27_000 + i, now_s + 10 + i), now_s + 10 + i,
                     pensioner.certificate.encoded)
    merchant.receive(pensioner.pay(merchant.device_id, 3_000, now_s + 12), now_s + 12, pensioner.certificate.encoded)
    honest = payers[1].pay(merchant.device_id, 2_000, now_s + 20)
    squatter = bytearray(honest)
    squatter[-1] ^= 1  # same body, broken signature: must not block the valid copy
    ghost = Device.from_state(signer("teacher"), payers[2].snapshot())  # its payments never uploaded
    forgery = bytearray(ghost.pay(shop.device_id, 7, now_s + 21))
    forgery[-2] ^= 1
    mechanic = world.device("mechanic", fund_tyiyn=5_000)
    shop.receive(mechanic.pay(shop.device_id, 1_000, now_s + 30), now_s + 30, mechanic.certificate.encoded)
    mechanic_clone = Device.from_state(signer("mechanic"), mechanic.snapshot())
    shop.receive(mechanic.pay(shop.device_id, 1_000, now_s + 31), now_s + 31)
    merchant.receive(mechanic_clone.pay(merchant.device_id, 1_000, now_s + 31), now_s + 31,
                     mechanic.certificate.encoded)
    pensioner.receive(mechanic_clone.pay(pensioner.device_id, 3_000, now_s + 32), now_s + 32,
                      mechanic.certificate.encoded)
    world.clock.now_s += DAY_S
    return [
        Upload(payers[1].device_id, (bytes(squatter), honest, bytes(forgery)), ()),
        *(payer.upload() for payer in payers),
        merchant.upload(),
        shop.upload(),
        clone.upload(),
        mechanic.upload(),
        mechanic_clone.upload(),
        # Last: the junk makes a run of its own, without signatures, after every other.
        Upload(payers[1].device_id, (b"junk", b"junk"), ()),
    ]


def summary(world: LedgerWorld, decisions: Iterable[Any], findings: Iterable[Any], posted: int) -> dict[str, Any]:
    """What must not depend on how the backlog was run: every verdict, every finding,
    the transfers posted and every balance."""
    holders = ("merchant", "shop", *PAYERS)
    return {
        "decisions": sorted((d.key, d.verdict.value, d.reason.value if d.reason else "") for d in decisions),
        "findings": sorted((f.device_key_id, f.fraud.value, f.counter) for f in findings),
        "posted": posted,
        "wallets": [world.balance(wallet_account_id(holder)) for holder in holders],
        "float": world.balance(world.wallets.bank_float_account_id(BANK)),
    }


@pytest.fixture
def worlds(postgres_databases: Callable[[], str]) -> Iterator[list[LedgerWorld]]:
    built = [LedgerWorld(postgres_databases()) for _ in range(3)]
    yield built
    for world in built:
        world.close()


def test_split_keeps_each_payer_whole_and_every_payload_once(ledger_world: LedgerWorld) -> None:
    uploads = mixed_backlog(ledger_world)
    parts = split_by_payer(uploads, RUN_PAYLOADS)
    assert len(parts) >= 3
    everything = [(u.device_key_id, p) for u in uploads for p in (*u.sent, *(r.payload for r in u.received))]
    split = [(u.device_key_id, p) for part in parts for u in part for p in (*u.sent, *(r.payload for r in u.received))]
    assert sorted(split) == sorted(everything)
    part_of_payer: dict[bytes, set[int]] = {}
    for index, part in enumerate(parts):
        for upload in part:
            for payload in (*upload.sent, *(r.payload for r in upload.received)):
                payer = decode_payment(payload).payer_key_id if payload != b"junk" else b""
                part_of_payer.setdefault(payer, set()).add(index)
    assert all(len(indexes) == 1 for indexes in part_of_payer.values())
    with pytest.raises(OfflineError) as refused:
        split_by_payer(uploads, 0)
    assert refused.value.reason is Reason.MALFORMED


def test_pipelined_backlog_equals_serial_runs_and_one_run(worlds: list[LedgerWorld]) -> None:
    one_run, serial, pipelined = worlds
    backlogs = [mixed_backlog(world) for world in worlds]
    assert backlogs[0] == backlogs[1] == backlogs[2]  # the same payments in every world
    circulation = [world.circulation_tyiyn() for world in worlds]
    whole = one_run.service.settle_uploads(backlogs[0])
    runs = {
        "serial": serial.service.settle_backlog(backlogs[1], run_payloads=RUN_PAYLOADS, pipelined=False),
        "pipelined": pipelined.service.settle_backlog(backlogs[2], run_payloads=RUN_PAYLOADS),
    }
    expected = summary(one_run, whole.result.decisions, whole.result.findings, whole.transfers_posted)
    for name, world in (("serial", serial), ("pipelined", pipelined)):
        outcome = runs[name]
        assert len(outcome.runs) >= 3, name
        assert summary(world, outcome.decisions, outcome.findings, outcome.transfers_posted) == expected, name
        assert outcome.revocations == whole.result.revocations
        assert sum(len(run.result.malformed) for run in outcome.runs) == len(whole.result.malformed) == 1
    for world, before in zip(worlds, circulation, strict=True):
        books_balance(world, before)
    # The mix is what it claims: double spends caught, forgeries refused with their reason,
    # the shop paid under the guarantee, the valid copy of the squatted payment paid.
    reasons = {d.reason for d in whole.result.decisions if d.verdict is Verdict.REJECTED}
    assert reasons == {Reason.BAD_SIGNATURE}
    assert {f.fraud for f in whole.result.findings} >= {Fraud.DOUBLE_COUNTER, Fraud.OVER_ALLOWANCE}
    assert any(d.verdict is Verdict.GUARANTEE for d in whole.result.decisions)
    assert whole.transfers_posted > 0 and not whole.parked
    # The mechanic's payment to the (fraudulent) pensioner is unpaid, and the split runs
    # settle the mechanic after the pensioner: they must read that run's findings.
    mechanic, pensioner = key_id("mechanic"), key_id("pensioner")
    to_pensioner = [d.verdict for d in whole.result.decisions if d.key[0] == mechanic and d.payee_id == pensioner]
    assert to_pensioner == [Verdict.UNPAID]
    run_of = {f.device_key_id: index for index, run in enumerate(runs["pipelined"].runs) for f in run.result.findings}
    assert run_of[pensioner] < run_of[mechanic]


class SignalingLedger:
    """The world's ledger, noting when a batch of transfers reaches it; each batch waits
    for `release` first (at most `RELEASE_WAIT_S`), so that a test can see whether one
    run is posted while the next is being verified."""

    RELEASE_WAIT_S = 10.0

    def __init__(self, ledger: Any) -> None:
        self._ledger = ledger
        self.release, self.batch_arrived = threading.Event(), threading.Event()

    def create_transfers_many(self, batches: Iterable[Sequence[Transfer]]) -> Iterator[list[CreateTransferResult]]:
        def noted() -> Iterator[Sequence[Transfer]]:
            for batch in batches:
                self.release.wait(self.RELEASE_WAIT_S)
                self.batch_arrived.set()
                yield batch

        return self._ledger.create_transfers_many(noted())

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ledger, name)


def test_run_n_is_posted_while_a_later_run_is_verified(postgres_url: str) -> None:
    assert posted_while_verifying(postgres_url, pipelined=True) == [True]


def posted_while_verifying(postgres_url: str, pipelined: bool) -> list[bool]:
    """Whether the first run's posting reached the ledger while the third run's
    signatures were verified ([False] when the runs go one after the other). The third:
    pipelined, the second run's are handed over before the first run is stored."""
    world = LedgerWorld(postgres_url)
    try:
        uploads = mixed_backlog(world)
        ledger = SignalingLedger(world.ledger)
        calls: list[int] = []
        seen: list[bool] = []

        def verifier(checks: Sequence[SignatureCheck]) -> list[bool]:
            calls.append(len(checks))
            if len(calls) == 3:  # the third run's verification (one call per run: small runs, junk last)
                ledger.batch_arrived.clear()
                ledger.release.set()  # the first run's posting may reach the ledger now
                seen.append(ledger.batch_arrived.wait(SignalingLedger.RELEASE_WAIT_S / 4))
            return verify_sequentially(checks)

        service = OfflineService(world.engine, ledger, world.wallets, world.clock, verifier)
        outcome = service.settle_backlog(uploads, run_payloads=RUN_PAYLOADS, pipelined=pipelined)
        assert len(outcome.runs) >= 3 and outcome.transfers_posted > 0
        return seen
    finally:
        world.close()


class RecordingVerifier:
    """A serial verifier whose verdicts are lazy, like the process pool's: it notes when a
    run's checks are handed over ("verify", run) and when their verdicts are first read
    ("read", run); a run is known by its payers (small runs: one call each)."""

    def __init__(self, run_of_payer: dict[bytes, int], events: list[tuple[str, int]]) -> None:
        self.run_of_payer, self.events = run_of_payer, events

    def __call__(self, checks: Sequence[SignatureCheck]) -> Sequence[bool]:
        run = self.run_of_payer[codec.key_id(checks[0][0])]
        self.events.append(("verify", run))
        return RecordedVerdicts(verify_sequentially(checks), self.events, run)


class RecordedVerdicts(Sequence[bool]):
    def __init__(self, verdicts: list[bool], events: list[tuple[str, int]], run: int) -> None:
        self._verdicts, self._events, self._run = verdicts, events, run

    def _read(self) -> list[bool]:
        if ("read", self._run) not in self._events:
            self._events.append(("read", self._run))
        return self._verdicts

    def __len__(self) -> int:
        return len(self._verdicts)

    def __getitem__(self, index: Any) -> Any:
        return self._read()[index]

    def __iter__(self) -> Iterator[bool]:
        return iter(self._read())


def test_next_run_is_handed_to_the_verifier_before_this_run_is_settled_and_stored(
    ledger_world: LedgerWorld,
) -> None:
    """Pipelined (PostgreSQL), run N+1's signatures reach the verifier before run N's
    verdicts are read (its rules) and before its run row is written (its store), so the
    verifying workers never wait for them; on SQLite the runs go one after the other."""
    uploads = mixed_backlog(ledger_world)
    parts = split_by_payer(uploads, RUN_PAYLOADS)
    run_of_payer = {decode_payment(payload).payer_key_id: run
                    for run, part in enumerate(parts, 1) for upload in part for payload in upload.sent
                    if payload != b"junk"}
    events: list[tuple[str, int]] = []
    service = OfflineService(ledger_world.engine, ledger_world.ledger, ledger_world.wallets, ledger_world.clock,
                             RecordingVerifier(run_of_payer, events))

    def stored(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith(f"INSERT INTO {t.runs.name.upper()} "):
            events.append(("store", sum(1 for kind, _ in events if kind == "store") + 1))

    event.listen(ledger_world.engine, "before_cursor_execute", stored)
    try:
        outcome = service.settle_backlog(uploads, run_payloads=RUN_PAYLOADS)
    finally:
        event.remove(ledger_world.engine, "before_cursor_execute", stored)
    assert len(outcome.runs) == len(parts) >= 3
    at = {e: i for i, e in enumerate(events)}
    verified = sorted(run for kind, run in events if kind == "verify")
    assert len(verified) >= 3 and all(at[("read", n)] < at[("store", n)] for n in verified), events
    # Pipelined, each run's checks are handed over before the run before it is settled.
    handed_early = [at[("verify", n)] < at[("read", n - 1)] for n in verified if n - 1 in verified]
    pipelined = ledger_world.engine.dialect.name == "postgresql"
    assert len(handed_early) >= 2 and handed_early == [pipelined] * len(handed_early), events
    if pipelined:
        assert all(at[("verify", n)] < at[("store", n - 1)] for n in verified if n > 1), events
    assert outcome.transfers_posted > 0 and not any(run.parked for run in outcome.runs)
