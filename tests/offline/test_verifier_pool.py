"""Signatures verified on worker processes while settlement decodes: the same result as
verifying them one after the other, chunk by chunk, with the collector paused."""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor

import pytest

from digisom.offline import settlement
from digisom.offline.device import Device
from digisom.offline.errors import Reason
from digisom.offline.payment import decode_payment
from digisom.offline.settlement import SettlementContext, SignatureCheck, Verdict, settle, verify_sequentially
from digisom.offline.upload import Upload
from digisom.offline.verifier_pool import PendingVerdicts, PoolVerifier
from tests.offline.world import NOW_S, World, signer

CHUNK = 5  # small chunks, so a few dozen payments make several


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    with ProcessPoolExecutor(max_workers=2) as executor:
        yield executor


def mixed_uploads(world: World) -> list[Upload]:
    """Honest payments, a clone's double spends, a forged variant of a valid payment
    uploaded before it (squatting), a forged payment alone, an unknown payer and junk."""
    pensioner, merchant, shop = world.device("pensioner", 100_000), world.device("merchant", 0), world.device("shop", 0)
    for i in range(12):
        payee = merchant if i % 2 else shop
        payee.receive(pensioner.pay(payee.device_id, 100 + i, NOW_S + i), NOW_S + i, pensioner.certificate.encoded)
    clone = Device.from_state(signer("pensioner"), pensioner.snapshot())
    for i in range(3):  # beyond the allowance together with the original's next payment
        shop.receive(clone.pay(shop.device_id, 31_000 + i, NOW_S + 20 + i), NOW_S + 20 + i,
                     pensioner.certificate.encoded)
    honest = pensioner.pay(merchant.device_id, 6_000, NOW_S + 30)
    squatter = bytearray(honest)
    squatter[-1] ^= 1  # same body, broken signature: must not block the valid copy
    ghost = Device.from_state(signer("pensioner"), pensioner.snapshot())  # its own payments never uploaded
    lone_forgery = bytearray(ghost.pay(shop.device_id, 8, NOW_S + 31))
    lone_forgery[-2] ^= 1
    stranger = World().device("stranger", 1_000)  # certified in another world
    return [
        Upload(pensioner.device_id, (bytes(squatter), honest, bytes(lone_forgery), b"junk"), ()),
        pensioner.upload(),
        merchant.upload(),
        shop.upload(),
        clone.upload(),
        Upload(stranger.device_id, (stranger.pay(merchant.device_id, 1, NOW_S),), ()),
    ]


def with_verifier(context: SettlementContext, verifier: settlement.SignatureVerifier) -> SettlementContext:
    return dataclasses.replace(context, verify_signatures=verifier)


def test_pool_and_serial_settle_the_same(pool: ProcessPoolExecutor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settlement, "VERIFY_CHUNK", CHUNK)
    world = World()
    uploads = mixed_uploads(world)
    serial = settle(uploads, world.context())
    parallel = settle(uploads, with_verifier(world.context(), PoolVerifier(pool)))
    assert parallel == serial
    # The mix is what it claims: double spends caught, the forgery refused with its reason.
    reasons = {d.reason for d in parallel.decisions if d.verdict is Verdict.REJECTED}
    assert reasons == {Reason.BAD_SIGNATURE, Reason.UNKNOWN_PAYER_CERTIFICATE}
    assert {f.fraud for f in parallel.findings} >= {settlement.Fraud.DOUBLE_COUNTER, settlement.Fraud.OVER_ALLOWANCE}
    assert parallel.claims  # the guarantee paid the shop beyond the reserve
    honest_hash = decode_payment(uploads[0].sent[1]).payment_hash
    assert [d.verdict for d in parallel.decisions if d.key.payment_hash == honest_hash] == [Verdict.RESERVE]
    # Every payout once (the conservation invariant checks it too, independently here).
    assert len({p.transfer_id for p in parallel.payouts}) == len(parallel.payouts)


def test_signatures_are_handed_over_in_chunks_before_any_verdict_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settlement, "VERIFY_CHUNK", CHUNK)
    world = World()
    uploads = mixed_uploads(world)
    calls: list[int] = []
    read_after: list[int] = []
    collector_on: list[bool] = []

    class Recorded(Sequence[bool]):
        def __init__(self, checks: Sequence[SignatureCheck]) -> None:
            self.verdicts = verify_sequentially(checks)

        def __len__(self) -> int:
            return len(self.verdicts)

        def __getitem__(self, index: int) -> bool:  # type: ignore[override]
            read_after.append(len(calls))
            return self.verdicts[index]

    def verifier(checks: Sequence[SignatureCheck]) -> Sequence[bool]:
        calls.append(len(checks))
        collector_on.append(gc.isenabled())
        return Recorded(checks)

    result = settle(uploads, with_verifier(world.context(), verifier))
    distinct_checked = sum(1 for d in result.decisions if d.reason is not Reason.UNKNOWN_PAYER_CERTIFICATE) + 1
    assert sum(calls) == distinct_checked  # every variant once: the squatter and its valid copy
    assert len(calls) > 2 and max(calls) == CHUNK
    assert read_after and min(read_after) == len(calls)  # nothing read until every chunk is out
    assert collector_on == [False] * len(calls)
    assert gc.isenabled()


def test_pending_verdicts_refuse_a_wrong_count() -> None:
    done: Future[list[bool]] = Future()
    done.set_result([True])
    with pytest.raises(RuntimeError, match="1 verdicts for 2 checks"):
        list(PendingVerdicts(done, 2))
    assert list(PendingVerdicts(done, 1)) == [True] and len(PendingVerdicts(done, 1)) == 1
