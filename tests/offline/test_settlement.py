"""Server-side settlement: deduplication, double-spend detection, payouts and the guarantee."""

from __future__ import annotations

import dataclasses

import pytest

from digisom.offline.device import Device
from digisom.offline.errors import OfflineError, Reason
from digisom.offline.payment import decode_payment, sign_payment
from digisom.offline.settlement import Fraud, SettlementBook, SettlementResult, Verdict, revocation_history, settle
from digisom.offline.upload import Upload
from tests.offline.world import DAY_S, NOW_S, World, signer


@pytest.fixture
def world() -> World:
    return World()


def clone_of(device: Device, name: str) -> Device:
    """What an attacker gets by copying a software-protected device."""
    return Device.from_state(signer(name), device.snapshot())


def verdicts(result: SettlementResult) -> dict[int, list[Verdict]]:
    by_counter: dict[int, list[Verdict]] = {}
    for decision in sorted(result.decisions, key=lambda d: (d.key.counter, d.key.payment_hash)):
        by_counter.setdefault(decision.key.counter, []).append(decision.verdict)
    return by_counter


def frauds(result: SettlementResult) -> set[tuple[Fraud, int]]:
    return {(finding.fraud, finding.counter) for finding in result.findings}


def test_honest_session_settles_from_the_reserve(world: World) -> None:
    pensioner, merchant = world.device("pensioner", 100_000), world.device("merchant", 0)
    for amount in (1_000, 2_000, 3_000):
        merchant.receive(pensioner.pay(merchant.device_id, amount, NOW_S), NOW_S, pensioner.certificate.encoded)
    result = settle([pensioner.upload(), merchant.upload()], world.context())
    assert [p.amount_tyiyn for p in result.payouts] == [1_000, 2_000, 3_000]
    assert {p.source for p in result.payouts} == {Verdict.RESERVE}
    assert {p.payee_id for p in result.payouts} == {merchant.device_id}
    assert result.duplicates == 3  # each payment came from payer and payee
    assert result.findings == ()
    assert result.revocations == frozenset()
    assert result.claims == ()
    assert result.book.device(pensioner.device_id).reserve_paid_tyiyn == 6_000


def test_uploads_are_idempotent(world: World) -> None:
    pensioner, merchant = world.device("pensioner", 100_000), world.device("merchant", 0)
    merchant.receive(pensioner.pay(merchant.device_id, 1_000, NOW_S), NOW_S, pensioner.certificate.encoded)
    uploads = [pensioner.upload(), merchant.upload(), pensioner.upload()]
    first = settle(uploads, world.context())
    again = settle(uploads, world.context(), first.book)
    assert len(first.payouts) == 1
    assert again.payouts == ()
    assert again.decisions == ()
    assert again.duplicates == 3
    assert again.book == first.book


def test_payout_ids_are_stable_ledger_keys(world: World) -> None:
    pensioner, merchant = world.device("pensioner", 100_000), world.device("merchant", 0)
    pensioner.pay(merchant.device_id, 1_000, NOW_S)
    one = settle([pensioner.upload()], world.context())
    two = settle([pensioner.upload()], world.context())
    assert one.payouts[0].transfer_id == two.payouts[0].transfer_id


def test_clone_within_allowance_is_detected_and_paid(world: World) -> None:
    pensioner, merchant, shop = world.device("pensioner", 100_000), world.device("merchant", 0), world.device("shop", 0)
    clone = clone_of(pensioner, "pensioner")
    merchant.receive(pensioner.pay(merchant.device_id, 1_000, NOW_S), NOW_S, pensioner.certificate.encoded)
    shop.receive(clone.pay(shop.device_id, 2_000, NOW_S), NOW_S, pensioner.certificate.encoded)
    result = settle([pensioner.upload(), merchant.upload(), shop.upload()], world.context())
    assert frauds(result) == {(Fraud.DOUBLE_COUNTER, 1)}
    assert result.revocations == {pensioner.device_id}
    assert verdicts(result) == {1: [Verdict.RESERVE, Verdict.RESERVE]}
    assert result.claims == ()


def test_clone_beyond_allowance_is_paid_by_the_guarantee(world: World) -> None:
    pensioner, merchant, shop = world.device("pensioner", 10_000), world.device("merchant", 0), world.device("shop", 0)
    clone = clone_of(pensioner, "pensioner")
    merchant.receive(pensioner.pay(merchant.device_id, 8_000, NOW_S), NOW_S, pensioner.certificate.encoded)
    shop.receive(clone.pay(shop.device_id, 9_000, NOW_S), NOW_S, pensioner.certificate.encoded)
    result = settle([merchant.upload(), shop.upload()], world.context())
    assert {(Fraud.DOUBLE_COUNTER, 1), (Fraud.OVER_ALLOWANCE, 1)} == frauds(result)
    # Both payees are paid in full: the whole 10,000 reserve, and only the excess of
    # 17,000 over it (7,000) under the guarantee, as a claim on the issuing bank.
    assert sum(p.amount_tyiyn for p in result.payouts if p.source is Verdict.RESERVE) == 10_000
    assert sum(p.amount_tyiyn for p in result.payouts if p.source is Verdict.GUARANTEE) == 7_000
    paid_to = {
        payee: sum(p.amount_tyiyn for p in result.payouts if p.payee_id == payee)
        for payee in (merchant.device_id, shop.device_id)
    }
    assert paid_to == {merchant.device_id: 8_000, shop.device_id: 9_000}
    assert [(c.bank_key_id, c.device_key_id, c.amount_tyiyn) for c in result.claims] == [
        (world.bank.key_id, pensioner.device_id, 7_000)
    ]
    assert len({p.transfer_id for p in result.payouts}) == len(result.payouts) == 3


def test_guarantee_is_capped_by_the_offline_limit(world: World) -> None:
    limit_tyiyn = 10_000
    pensioner = world.device("pensioner", 10_000, per_payment_max_tyiyn=10_000, cumulative_max_tyiyn=limit_tyiyn)
    payees = [world.device(f"shop-{i}", 0) for i in range(5)]
    clones = [clone_of(pensioner, "pensioner") for _ in payees]
    for clone, payee in zip(clones, payees, strict=True):
        payee.receive(clone.pay(payee.device_id, 6_000, NOW_S), NOW_S, pensioner.certificate.encoded)
    result = settle([payee.upload() for payee in payees], world.context())
    counts = {verdict: sum(1 for d in result.decisions if d.verdict is verdict) for verdict in Verdict}
    # 6,000 from the reserve; 4,000 reserve + 2,000 guarantee; 6,000 guarantee (8,000 of
    # the 10,000 cap used); the next two would exceed the cap: unpaid.
    assert counts[Verdict.RESERVE] == 1
    assert counts[Verdict.GUARANTEE] == 2
    assert counts[Verdict.UNPAID] == 2
    assert sum(c.amount_tyiyn for c in result.claims) == 8_000 <= limit_tyiyn


def test_guarantee_waits_for_the_payees_receipt(world: World) -> None:
    pensioner, merchant, shop = world.device("pensioner", 10_000), world.device("merchant", 0), world.device("shop", 0)
    clone = clone_of(pensioner, "pensioner")
    merchant.receive(pensioner.pay(merchant.device_id, 8_000, NOW_S), NOW_S, pensioner.certificate.encoded)
    shop.receive(clone.pay(shop.device_id, 8_000, NOW_S), NOW_S, pensioner.certificate.encoded)
    clone_sent = Upload(pensioner.device_id, clone.upload().sent, ())
    first = settle([pensioner.upload(), clone_sent], world.context())
    assert sorted(d.verdict.value for d in first.decisions) == ["deferred", "reserve"]
    assert first.claims == ()
    second = settle([shop.upload(), merchant.upload()], world.context(), first.book)
    assert [d.verdict for d in second.decisions] == [Verdict.GUARANTEE]
    # The reserve's remaining 2,000 plus 6,000 under the guarantee.
    assert sorted((p.source.value, p.amount_tyiyn) for p in second.payouts) == [
        ("guarantee", 6_000),
        ("reserve", 2_000),
    ]
    assert sum(c.amount_tyiyn for c in second.claims) == 6_000
    assert second.findings == ()  # already found in the first run
    assert second.revocations == frozenset()


def test_chain_break_is_detected(world: World) -> None:
    pensioner, merchant, shop = world.device("pensioner", 100_000), world.device("merchant", 0), world.device("shop", 0)
    clone = clone_of(pensioner, "pensioner")
    clone.pay(shop.device_id, 1, NOW_S)  # counter 1 of the clone, never uploaded
    shop.receive(clone.pay(shop.device_id, 500, NOW_S), NOW_S, pensioner.certificate.encoded)  # counter 2
    merchant.receive(pensioner.pay(merchant.device_id, 700, NOW_S), NOW_S, pensioner.certificate.encoded)  # 1
    result = settle([shop.upload(), merchant.upload()], world.context())
    assert (Fraud.CHAIN_BREAK, 2) in frauds(result)
    assert result.revocations == {pensioner.device_id}


def test_over_allowance_by_a_tampered_device(world: World) -> None:
    pensioner, merchant = world.device("pensioner", 1_000), world.device("merchant", 0)
    # The holder edits the device's memory to believe it was funded 5,000.
    tampered = Device.from_state(signer("pensioner"), dataclasses.replace(pensioner.snapshot(), funded_tyiyn=5_000))
    for _ in range(4):
        merchant.receive(tampered.pay(merchant.device_id, 1_000, NOW_S), NOW_S, pensioner.certificate.encoded)
    result = settle([merchant.upload()], world.context())
    assert frauds(result) == {(Fraud.OVER_ALLOWANCE, 2)}
    assert sum(p.amount_tyiyn for p in result.payouts if p.source is Verdict.RESERVE) == 1_000
    assert sum(c.amount_tyiyn for c in result.claims) == 3_000


def test_cumulative_mismatch_is_detected(world: World) -> None:
    pensioner, merchant = world.device("pensioner", 100_000), world.device("merchant", 0)
    first = decode_payment(pensioner.pay(merchant.device_id, 100, NOW_S))
    lying = sign_payment(signer("pensioner"), merchant.device_id, 100, 2, first.payment_hash, NOW_S, 100)
    result = settle([Upload(pensioner.device_id, (first.encoded, lying.encoded), ())], world.context())
    assert frauds(result) == {(Fraud.CUMULATIVE_MISMATCH, 2)}


def test_invalid_payments_are_rejected(world: World) -> None:
    pensioner, merchant = world.device("pensioner", 100_000), world.device("merchant", 0)
    good = pensioner.pay(merchant.device_id, 100, NOW_S)
    forged = bytearray(pensioner.pay(merchant.device_id, 100, NOW_S))
    forged[-3] ^= 1
    to_stranger = pensioner.pay(b"\x42" * 8, 100, NOW_S)
    result = settle([Upload(pensioner.device_id, (good, bytes(forged), to_stranger, b"junk"), ())], world.context())
    reasons = sorted((d.key.counter, d.verdict.value, d.reason) for d in result.decisions)
    assert reasons == [
        (1, "reserve", None),
        (2, "rejected", Reason.BAD_SIGNATURE),
        (3, "rejected", Reason.WRONG_PAYEE),
    ]
    assert result.malformed == (Reason.MALFORMED,)


def test_unknown_payer_is_rejected(world: World) -> None:
    merchant = world.device("merchant", 0)
    stranger = World().device("pensioner", 1_000)  # certified in another world
    result = settle([Upload(stranger.device_id, (stranger.pay(merchant.device_id, 1, NOW_S),), ())], world.context())
    assert [(d.verdict, d.reason) for d in result.decisions] == [(Verdict.REJECTED, Reason.UNKNOWN_PAYER_CERTIFICATE)]


def test_payee_that_knew_of_the_revocation_is_not_paid(world: World) -> None:
    pensioner, merchant, shop = world.device("pensioner", 100_000), world.device("merchant", 0), world.device("shop", 0)
    # The pensioner reports the device lost; the shop syncs and learns it, the merchant does not.
    crl = world.revoke([pensioner.device_id])
    shop.sync([world.bank], crl, NOW_S)
    merchant.receive(pensioner.pay(merchant.device_id, 500, NOW_S), NOW_S, pensioner.certificate.encoded)
    thief_payment = pensioner.pay(shop.device_id, 700, NOW_S)
    # A modified shop device accepts anyway; its receipt shows the list it held.
    forged_receipt = dataclasses.replace(merchant.upload().received[0], payload=thief_payment, revocation_sequence=1)
    result = settle([merchant.upload(), Upload(shop.device_id, (), (forged_receipt,))], world.context())
    assert sorted((d.verdict.value, d.reason) for d in result.decisions) == [
        ("rejected", Reason.REVOKED),
        ("reserve", None),
    ]


def test_fraudulent_payee_gets_no_guarantee(world: World) -> None:
    pensioner, shop = world.device("pensioner", 1_000), world.device("shop", 1_000)
    merchant, market = world.device("merchant", 0), world.device("market", 0)
    # The shop's device is itself a clone-maker...
    shop_clone = clone_of(shop, "shop")
    merchant.receive(shop.pay(merchant.device_id, 10, NOW_S), NOW_S, shop.certificate.encoded)
    market.receive(shop_clone.pay(market.device_id, 20, NOW_S + 1), NOW_S + 1, shop.certificate.encoded)
    # ...and collects from a cloned pensioner beyond the pensioner's allowance.
    pensioner_clone = clone_of(pensioner, "pensioner")
    shop.receive(pensioner.pay(shop.device_id, 1_000, NOW_S), NOW_S, pensioner.certificate.encoded)
    shop_clone.receive(pensioner_clone.pay(shop.device_id, 900, NOW_S), NOW_S + 1, pensioner.certificate.encoded)
    uploads = [merchant.upload(), market.upload(), shop.upload(), shop_clone.upload(), pensioner.upload()]
    result = settle(uploads, world.context())
    assert {f.device_key_id for f in result.findings} == {pensioner.device_id, shop.device_id}
    pensioner_verdicts = sorted(d.verdict.value for d in result.decisions if d.key.payer_key_id == pensioner.device_id)
    assert pensioner_verdicts == ["reserve", "unpaid"]
    assert result.claims == ()


def test_settlement_book_starts_empty(world: World) -> None:
    assert settle([], world.context()).book == SettlementBook()


def test_revocation_history_keeps_the_first_listing(world: World) -> None:
    first = world.revoke([b"\x01" * 8])
    second = world.revoke([b"\x02" * 8])
    assert revocation_history([second, first]) == {b"\x01" * 8: 1, b"\x02" * 8: 2}
    assert revocation_history([second, first]) == world.revoked_at_sequence


def test_a_bad_signature_uploaded_first_cannot_squat_the_payment(world: World) -> None:
    pensioner, merchant = world.device("pensioner", 100_000), world.device("merchant", 0)
    payload = pensioner.pay(merchant.device_id, 1_000, NOW_S)
    squatter = bytearray(payload)
    squatter[-1] ^= 1  # same body, so same payment key; broken signature
    uploads = [Upload(merchant.device_id, (bytes(squatter),), ()), pensioner.upload()]
    result = settle(uploads, world.context())
    assert [(d.verdict, d.reason) for d in result.decisions] == [(Verdict.RESERVE, None)]
    assert [p.amount_tyiyn for p in result.payouts] == [1_000]


def test_story_fraud_found_revoked_and_refused_after_the_next_sync(world: World) -> None:
    pensioner, merchant, shop = world.device("pensioner", 10_000), world.device("merchant", 0), world.device("shop", 0)
    clone = clone_of(pensioner, "pensioner")
    merchant.receive(pensioner.pay(merchant.device_id, 6_000, NOW_S), NOW_S, pensioner.certificate.encoded)
    shop.receive(clone.pay(shop.device_id, 6_000, NOW_S), NOW_S, pensioner.certificate.encoded)

    # Day 1: the merchant and the shop sync; the clone is found and the central bank revokes it.
    first = settle([merchant.upload(), shop.upload()], world.context(NOW_S + DAY_S))
    assert first.revocations == {pensioner.device_id}
    crl = world.revoke(first.revocations, issued_at_s=NOW_S + DAY_S)
    assert revocation_history([crl]) == world.revoked_at_sequence
    for device, upload in ((merchant, merchant.upload()), (shop, shop.upload())):
        device.acknowledge(upload)
        device.sync([world.bank], crl, NOW_S + DAY_S)

    # Day 2: the clone tries again; the synced shop refuses it offline.
    with pytest.raises(OfflineError) as excinfo:
        shop.receive(clone.pay(shop.device_id, 1_000, NOW_S + 2 * DAY_S), NOW_S + 2 * DAY_S)
    assert excinfo.value.reason is Reason.REVOKED

    # Both honest payees were paid in full: the whole 10,000 reserve, and the 2,000
    # beyond it under the guarantee, claimed from the bank.
    assert sorted((p.source.value, p.amount_tyiyn) for p in first.payouts) == [
        ("guarantee", 2_000),
        ("reserve", 4_000),
        ("reserve", 6_000),
    ]
    assert [c.amount_tyiyn for c in first.claims] == [2_000]

    # Day 3: everything uploaded again changes nothing.
    again = settle([merchant.upload(), shop.upload(), pensioner.upload()], world.context(NOW_S + 3 * DAY_S), first.book)
    assert again.payouts == ()
    assert again.claims == ()
