"""The payee's offline verification and the payer's own limits, at the device."""

from __future__ import annotations

import cbor2
import pytest

from digisom.offline import codec
from digisom.offline.device import Device
from digisom.offline.errors import OfflineError, Reason
from digisom.offline.payment import PAYMENT_CONTEXT, decode_payment, genesis_hash, sign_payment
from digisom.offline.verify import MAX_CLOCK_SKEW_S
from tests.offline.world import DAY_S, NOW_S, World, signer


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def pensioner(world: World) -> Device:
    return world.device("pensioner", fund_tyiyn=1_000_000)


@pytest.fixture
def merchant(world: World) -> Device:
    return world.device("merchant", fund_tyiyn=0)


def refused(device: Device, payload: bytes, now_s: int = NOW_S, certificate: bytes | None = None) -> Reason:
    with pytest.raises(OfflineError) as excinfo:
        device.receive(payload, now_s, certificate)
    return excinfo.value.reason


def introduce(payer: Device, payee: Device) -> None:
    """First contact: the payee verifies and caches the payer's certificate."""
    payee.receive(payer.pay(payee.device_id, 1, NOW_S), NOW_S, payer.certificate.encoded)


def test_payment_is_received(pensioner: Device, merchant: Device) -> None:
    payload = pensioner.pay(merchant.device_id, 25_000, NOW_S)
    payment = merchant.receive(payload, NOW_S + 10, pensioner.certificate.encoded)
    assert payment.amount_tyiyn == 25_000
    assert pensioner.balance_tyiyn == 1_000_000 - 25_000
    assert merchant.received_unsynced_tyiyn == 25_000
    # No onward spending: value received offline does not raise the allowance.
    assert merchant.balance_tyiyn == 0
    with pytest.raises(OfflineError) as excinfo:
        merchant.pay(pensioner.device_id, 1, NOW_S)
    assert excinfo.value.reason is Reason.INSUFFICIENT_ALLOWANCE


def test_unknown_payer_needs_its_certificate(pensioner: Device, merchant: Device) -> None:
    payload = pensioner.pay(merchant.device_id, 100, NOW_S)
    assert refused(merchant, payload) is Reason.UNKNOWN_PAYER_CERTIFICATE
    other = signer("shop")
    assert refused(merchant, payload, certificate=World().device_certificate(other).encoded) is (
        Reason.UNKNOWN_PAYER_CERTIFICATE
    )


def test_certificate_is_cached_after_first_contact(pensioner: Device, merchant: Device) -> None:
    introduce(pensioner, merchant)
    merchant.receive(pensioner.pay(merchant.device_id, 100, NOW_S + 1), NOW_S + 2)


def test_tampered_amount(pensioner: Device, merchant: Device) -> None:
    introduce(pensioner, merchant)
    payment = decode_payment(pensioner.pay(merchant.device_id, 100, NOW_S))
    fields = cbor2.loads(payment.body)
    fields[3] = 10_000
    fields[8] = payment.cumulative_tyiyn - 100 + 10_000
    tampered = codec.seal_envelope(codec.encode(fields), payment.signature)
    assert refused(merchant, tampered) is Reason.BAD_SIGNATURE


def test_bad_signature(pensioner: Device, merchant: Device) -> None:
    introduce(pensioner, merchant)
    payload = bytearray(pensioner.pay(merchant.device_id, 100, NOW_S))
    payload[-5] ^= 0x80
    assert refused(merchant, bytes(payload)) is Reason.BAD_SIGNATURE


def test_payment_signed_by_another_key(pensioner: Device, merchant: Device) -> None:
    introduce(pensioner, merchant)
    payment = decode_payment(pensioner.pay(merchant.device_id, 100, NOW_S))
    forged = codec.seal_envelope(payment.body, signer("shop").sign(PAYMENT_CONTEXT + payment.body))
    assert refused(merchant, forged) is Reason.BAD_SIGNATURE


def test_replay(pensioner: Device, merchant: Device) -> None:
    introduce(pensioner, merchant)
    payload = pensioner.pay(merchant.device_id, 100, NOW_S)
    merchant.receive(payload, NOW_S)
    assert refused(merchant, payload) is Reason.REPLAY
    assert merchant.received_unsynced_tyiyn == 101


def test_replay_to_another_payee(world: World, pensioner: Device, merchant: Device) -> None:
    shop = world.device("shop", fund_tyiyn=0)
    payload = pensioner.pay(merchant.device_id, 100, NOW_S)
    assert refused(shop, payload, certificate=pensioner.certificate.encoded) is Reason.WRONG_PAYEE


def test_counter_rollback(pensioner: Device, merchant: Device) -> None:
    introduce(pensioner, merchant)
    saved = pensioner.snapshot()
    merchant.receive(pensioner.pay(merchant.device_id, 100, NOW_S), NOW_S)
    merchant.receive(pensioner.pay(merchant.device_id, 100, NOW_S), NOW_S)
    rolled_back = Device.from_state(signer("pensioner"), saved)
    assert refused(merchant, rolled_back.pay(merchant.device_id, 300, NOW_S)) is Reason.COUNTER_ROLLBACK


def test_clone_forks_the_chain(pensioner: Device, merchant: Device) -> None:
    introduce(pensioner, merchant)
    clone = Device.from_state(signer("pensioner"), pensioner.snapshot())
    merchant.receive(pensioner.pay(merchant.device_id, 100, NOW_S), NOW_S)
    # Same counter, different payment.
    assert refused(merchant, clone.pay(merchant.device_id, 200, NOW_S)) is Reason.CHAIN_FORK


def test_fork_with_the_next_counter(world: World, pensioner: Device, merchant: Device) -> None:
    introduce(pensioner, merchant)
    shop = world.device("shop", fund_tyiyn=0)
    clone = Device.from_state(signer("pensioner"), pensioner.snapshot())
    clone.pay(shop.device_id, 100, NOW_S)  # counter 2 on the clone
    pensioner.pay(merchant.device_id, 100, NOW_S)  # counter 2 on the original, never shown
    # Counter 3 from the clone links to the clone's counter 2, which the merchant never saw:
    # a gap, accepted offline (settlement sees the fork).
    merchant.receive(clone.pay(merchant.device_id, 100, NOW_S), NOW_S)
    # Counter 3 from the original after the clone's counter 3: same counter, fork.
    assert refused(merchant, pensioner.pay(merchant.device_id, 100, NOW_S)) is Reason.CHAIN_FORK


def test_next_counter_must_link(pensioner: Device, merchant: Device) -> None:
    introduce(pensioner, merchant)
    key = signer("pensioner")
    forged = sign_payment(key, merchant.device_id, 100, 2, b"\x00" * 32, NOW_S, 101)
    assert refused(merchant, forged.encoded) is Reason.CHAIN_FORK


def test_first_payment_must_start_the_chain(pensioner: Device, merchant: Device) -> None:
    key = signer("pensioner")
    forged = sign_payment(key, merchant.device_id, 100, 1, b"\x00" * 32, NOW_S, 100)
    assert refused(merchant, forged.encoded, certificate=pensioner.certificate.encoded) is Reason.CHAIN_FORK


def test_cumulative_must_add_up(pensioner: Device, merchant: Device) -> None:
    introduce(pensioner, merchant)
    key = signer("pensioner")
    first = decode_payment(merchant.upload().received[0].payload)
    lying = sign_payment(key, merchant.device_id, 100, 2, first.payment_hash, NOW_S, 100)
    assert refused(merchant, lying.encoded) is Reason.CUMULATIVE_MISMATCH


def test_over_per_payment_limit(world: World, merchant: Device) -> None:
    pensioner = world.device("pensioner", fund_tyiyn=100_000, per_payment_max_tyiyn=10_000)
    with pytest.raises(OfflineError) as excinfo:
        pensioner.pay(merchant.device_id, 10_001, NOW_S)
    assert excinfo.value.reason is Reason.OVER_PAYMENT_LIMIT
    # A tampered payer device signs it anyway; the payee refuses.
    key = signer("pensioner")
    forged = sign_payment(key, merchant.device_id, 10_001, 1, genesis_hash(pensioner.device_id), NOW_S, 10_001)
    assert refused(merchant, forged.encoded, certificate=pensioner.certificate.encoded) is Reason.OVER_PAYMENT_LIMIT


def test_over_cumulative_limit(world: World, merchant: Device) -> None:
    pensioner = world.device("pensioner", fund_tyiyn=50_000, per_payment_max_tyiyn=50_000, cumulative_max_tyiyn=50_000)
    introduce(pensioner, merchant)
    with pytest.raises(OfflineError) as excinfo:
        pensioner.pay(merchant.device_id, 50_000, NOW_S)
    assert excinfo.value.reason is Reason.OVER_CUMULATIVE_LIMIT
    key = signer("pensioner")
    first = decode_payment(merchant.upload().received[0].payload)
    forged = sign_payment(key, merchant.device_id, 50_000, 2, first.payment_hash, NOW_S, 50_001)
    assert refused(merchant, forged.encoded) is Reason.OVER_CUMULATIVE_LIMIT


def test_insufficient_allowance(world: World, merchant: Device) -> None:
    pensioner = world.device("pensioner", fund_tyiyn=1_000)
    with pytest.raises(OfflineError) as excinfo:
        pensioner.pay(merchant.device_id, 1_001, NOW_S)
    assert excinfo.value.reason is Reason.INSUFFICIENT_ALLOWANCE
    assert pensioner.balance_tyiyn == 1_000
    assert pensioner.upload().sent == ()


def test_expired_payer_certificate(world: World, merchant: Device) -> None:
    key = signer("pensioner")
    cert = world.device_certificate(key, not_before_s=NOW_S - 10 * DAY_S, not_after_s=NOW_S + DAY_S)
    pensioner = Device.provision(key, cert, world.trust(), NOW_S)
    pensioner.fund(1_000)
    payload = pensioner.pay(merchant.device_id, 100, NOW_S)
    assert refused(merchant, payload, NOW_S + 2 * DAY_S, cert.encoded) is Reason.CERTIFICATE_EXPIRED
    with pytest.raises(OfflineError) as excinfo:
        pensioner.pay(merchant.device_id, 100, NOW_S + 2 * DAY_S)
    assert excinfo.value.reason is Reason.CERTIFICATE_EXPIRED


def test_revoked_payer_as_of_last_sync(world: World, pensioner: Device, merchant: Device) -> None:
    introduce(pensioner, merchant)
    payload = pensioner.pay(merchant.device_id, 100, NOW_S)
    crl = world.revoke([pensioner.device_id])
    merchant.receive(payload, NOW_S)  # the merchant has not synced yet: accepted
    merchant.sync([world.bank], crl, NOW_S + 1)
    assert refused(merchant, pensioner.pay(merchant.device_id, 100, NOW_S + 2), NOW_S + 2) is Reason.REVOKED
    assert merchant.upload().received[-1].revocation_sequence == 0


def test_revoked_device_stops_paying_after_sync(world: World, pensioner: Device, merchant: Device) -> None:
    pensioner.sync([world.bank], world.revoke([pensioner.device_id]), NOW_S)
    with pytest.raises(OfflineError) as excinfo:
        pensioner.pay(merchant.device_id, 100, NOW_S)
    assert excinfo.value.reason is Reason.REVOKED


def test_payment_from_the_future(pensioner: Device, merchant: Device) -> None:
    introduce(pensioner, merchant)
    payload = pensioner.pay(merchant.device_id, 100, NOW_S + MAX_CLOCK_SKEW_S + 10)
    assert refused(merchant, payload, NOW_S) is Reason.PAYMENT_FROM_FUTURE


def test_self_payment(pensioner: Device) -> None:
    with pytest.raises(OfflineError) as excinfo:
        pensioner.pay(pensioner.device_id, 100, NOW_S)
    assert excinfo.value.reason is Reason.SELF_PAYMENT


def test_refused_payment_changes_nothing(pensioner: Device, merchant: Device) -> None:
    introduce(pensioner, merchant)
    before = merchant.snapshot()
    payload = bytearray(pensioner.pay(merchant.device_id, 100, NOW_S))
    payload[-1] ^= 1
    refused(merchant, bytes(payload))
    assert merchant.snapshot() == before


def test_upload_and_acknowledge(pensioner: Device, merchant: Device) -> None:
    introduce(pensioner, merchant)
    upload = pensioner.upload()
    assert len(upload.sent) == 1
    later = pensioner.pay(merchant.device_id, 5, NOW_S)
    pensioner.acknowledge(upload)
    assert pensioner.upload().sent == (later,)


def test_funding_is_bounded_by_the_certificate(world: World) -> None:
    shop = world.device("shop", fund_tyiyn=0, per_payment_max_tyiyn=1_000, cumulative_max_tyiyn=1_000)
    shop.fund(1_000)
    with pytest.raises(OfflineError) as excinfo:
        shop.fund(1)
    assert excinfo.value.reason is Reason.OVER_CUMULATIVE_LIMIT
