"""Sync into the ledger: payouts, the guarantee, returned value, revocation and
idempotent re-uploads, on SQLite and PostgreSQL; the books balance after every sync."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from digisom.ledger.model import Account, Transfer
from digisom.ledger.results import CreateAccountResult, CreateTransferResult
from digisom.offline.accounts import guarantee_account_id, reserve_account_id
from digisom.offline.device import Device
from digisom.offline.errors import OfflineError, Reason
from digisom.offline.service import OfflineService
from digisom.offline.settlement import Fraud, Verdict
from digisom.offline.sync_request import sign_sync_request
from digisom.offline.upload import Upload
from tests.offline.ledger_world import BANK, FLOAT_TYIYN, LedgerWorld, books_balance, wallet_account_id
from tests.offline.world import DAY_S, NOW_S, signer


@pytest.fixture
def world(ledger_world: LedgerWorld) -> LedgerWorld:
    return ledger_world


def test_funding_moves_value_to_the_reserve_and_keeps_circulation(world: LedgerWorld) -> None:
    pensioner = world.device("pensioner", fund_tyiyn=300_000)
    before = world.circulation_tyiyn()
    assert world.balance(reserve_account_id(pensioner.device_id)) == 300_000
    assert world.balance(wallet_account_id("pensioner")) == 1_000_000
    world.service.fund("pensioner", pensioner.device_id, 300_000, "pensioner-0")  # a retry: nothing moves
    assert world.balance(reserve_account_id(pensioner.device_id)) == 300_000
    books_balance(world, before)


def test_funding_refusals(world: LedgerWorld) -> None:
    pensioner = world.device("pensioner")
    with pytest.raises(OfflineError) as too_much:
        world.service.fund("pensioner", pensioner.device_id, 5_000_000, "big")
    assert too_much.value.reason is Reason.OVER_CUMULATIVE_LIMIT
    with pytest.raises(OfflineError) as poor:
        world.service.fund("pensioner", pensioner.device_id, 1_500_000, "poor")
    assert poor.value.reason is Reason.INSUFFICIENT_FUNDS
    world.open_wallet("merchant", 0)
    with pytest.raises(OfflineError) as other:
        world.service.fund("merchant", pensioner.device_id, 100, "other")
    assert other.value.reason is Reason.UNKNOWN_DEVICE


def test_registry_refuses_a_second_key_and_another_bank(world: LedgerWorld) -> None:
    world.device("pensioner")
    with pytest.raises(OfflineError) as twice:
        world.service.register_device(BANK, "pensioner", signer("pensioner").public_key, 100, 1000)
    assert twice.value.reason is Reason.DUPLICATE_KEY_ID
    with pytest.raises(OfflineError) as wrong:
        world.service.register_device("OTHER", "pensioner", signer("shop").public_key, 100, 1000)
    assert wrong.value.reason is Reason.WRONG_BANK


def test_honest_payments_settle_and_unspent_value_returns(world: LedgerWorld) -> None:
    pensioner = world.device("pensioner", fund_tyiyn=400_000)
    shop = world.device("shop")
    circulation = world.circulation_tyiyn()
    world.clock.now_s += DAY_S
    first = pensioner.pay(shop.device_id, 120_000, world.clock())
    shop.receive(first, world.clock(), pensioner.certificate.encoded)
    second = pensioner.pay(shop.device_id, 30_000, world.clock() + 60)
    shop.receive(second, world.clock() + 60)
    world.clock.now_s += 7 * DAY_S
    world.sync(shop, "shop")
    assert world.balance(wallet_account_id("shop")) == 1_000_000 + 150_000
    outcome = world.sync(pensioner, "pensioner", return_unspent=True)[-1]
    assert outcome.returned_tyiyn == {pensioner.device_id: 250_000}
    assert world.balance(reserve_account_id(pensioner.device_id)) == 0
    assert world.balance(wallet_account_id("pensioner")) == 1_000_000 + 250_000
    assert pensioner.balance_tyiyn == 0
    books_balance(world, circulation)
    # The device can be funded again and pay on.
    world.fund(pensioner, "pensioner", 50_000, "again")
    shop.receive(pensioner.pay(shop.device_id, 50_000, world.clock()), world.clock())
    world.sync(shop, "shop")
    assert world.balance(wallet_account_id("shop")) == 1_000_000 + 200_000
    books_balance(world, circulation)


def test_reupload_pays_nothing_twice(world: LedgerWorld) -> None:
    pensioner = world.device("pensioner", fund_tyiyn=400_000)
    merchant = world.device("merchant")
    payload = pensioner.pay(merchant.device_id, 99_000, world.clock())
    merchant.receive(payload, world.clock(), pensioner.certificate.encoded)
    request = sign_sync_request(signer("merchant"), merchant.upload(), world.clock(), 0, False)
    first = world.service.sync(request)
    again = world.service.sync(request)
    payer_side = world.service.sync(
        sign_sync_request(signer("pensioner"), pensioner.upload(), world.clock(), pensioner.spent_tyiyn, False)
    )
    assert first.paid_tyiyn == 99_000
    assert again.paid_tyiyn == payer_side.paid_tyiyn == 0
    assert again.result.duplicates >= 1
    assert world.balance(wallet_account_id("merchant")) == 1_000_000 + 99_000
    books_balance(world, world.circulation_tyiyn())


def _clone_double_spends(world: LedgerWorld) -> tuple[Device, Device, Device, Device]:
    """(pensioner, its clone, merchant, shop): the pensioner's device (500,000 funded) pays
    the merchant 400,000 and its clone pays the shop 450,000 under the same counter; a day
    later, nothing synced yet."""
    pensioner = world.device("pensioner", fund_tyiyn=500_000)
    merchant, shop = world.device("merchant"), world.device("shop")
    clone = Device.from_state(signer("pensioner"), pensioner.snapshot())
    now_s = world.clock()
    merchant.receive(pensioner.pay(merchant.device_id, 400_000, now_s), now_s, pensioner.certificate.encoded)
    shop.receive(clone.pay(shop.device_id, 450_000, now_s), now_s, pensioner.certificate.encoded)
    world.clock.now_s += DAY_S
    return pensioner, clone, merchant, shop


def test_clone_is_caught_revoked_and_the_guarantee_pays_honest_payees(world: LedgerWorld) -> None:
    pensioner, clone, merchant, shop = _clone_double_spends(world)
    circulation = world.circulation_tyiyn()
    world.sync(merchant, "merchant")
    outcome = world.sync(shop, "shop")[-1]
    assert {f.fraud for f in outcome.result.findings} >= {Fraud.DOUBLE_COUNTER, Fraud.OVER_ALLOWANCE}
    assert outcome.trust.revocations.revokes(pensioner.device_id)
    assert world.balance(wallet_account_id("merchant")) == 1_000_000 + 400_000
    assert world.balance(wallet_account_id("shop")) == 1_000_000 + 450_000
    # The reserve gave its last 100,000; the bank's float the other 350,000, as a claim.
    assert world.balance(reserve_account_id(pensioner.device_id)) == 0
    assert world.balance(world.wallets.bank_float_account_id(BANK)) == FLOAT_TYIYN - 350_000
    (guarantee,) = world.ledger.lookup_accounts([guarantee_account_id(BANK)])
    assert guarantee.debits_posted == guarantee.credits_posted == 350_000
    assert [d.verdict for d in outcome.result.decisions] == [Verdict.GUARANTEE]
    books_balance(world, circulation)
    # The revoked device is refused by the merchant after its next sync, and cannot be funded.
    world.sync(merchant, "merchant")
    with pytest.raises(OfflineError) as refused:
        merchant.receive(clone.pay(merchant.device_id, 1_000, world.clock()), world.clock())
    assert refused.value.reason is Reason.REVOKED
    with pytest.raises(OfflineError) as no_funds:
        world.service.fund("pensioner", pensioner.device_id, 1_000, "after-revocation")
    assert no_funds.value.reason is Reason.REVOKED


def test_a_deferred_payment_is_decided_when_its_receipt_arrives(world: LedgerWorld) -> None:
    """The clone uploads its payment first: it needs the guarantee and the payee has not
    vouched for it yet, so it is stored undecided; the payee's receipt decides it, and its
    stored row is updated in place (verdict, parts, run)."""
    from sqlalchemy import select  # noqa: PLC0415

    from digisom.offline import tables  # noqa: PLC0415

    _pensioner, clone, merchant, shop = _clone_double_spends(world)
    world.sync(merchant, "merchant")
    (deferred,) = [d for o in world.sync(clone, "pensioner") for d in o.result.decisions]
    assert deferred.verdict is Verdict.DEFERRED

    def row() -> tuple[object, ...]:
        p = tables.payments.c
        with world.engine.connect() as conn:
            return tuple(conn.execute(select(p.verdict, p.reserve_tyiyn, p.guarantee_tyiyn, p.run_id)
                                      .where(p.payment_hash == deferred.key.payment_hash)).one())

    verdict, reserve, guarantee, deferred_run = row()
    assert (verdict, reserve, guarantee) == (None, 0, 0)
    (decided,) = [o for o in world.sync(shop, "shop") if o.result.decisions]
    assert [d.verdict for d in decided.result.decisions] == [Verdict.GUARANTEE]
    assert row() == ("guarantee", 100_000, 350_000, decided.run_id) and decided.run_id != deferred_run
    assert world.balance(wallet_account_id("shop")) == 1_000_000 + 450_000


def test_sync_request_must_be_signed_by_the_registered_device(world: LedgerWorld) -> None:
    world.device("merchant")
    merchant_id = signer("merchant").public_key
    forged = sign_sync_request(signer("shop"), Upload(world.service.device(_key_id(merchant_id)).certificate.key_id,
                                                      (), ()), NOW_S, 0, False)
    with pytest.raises(OfflineError) as bad:
        world.service.sync(forged)
    assert bad.value.reason is Reason.BAD_SIGNATURE
    unknown = sign_sync_request(signer("shop"), Upload(_key_id(signer("shop").public_key), (), ()), NOW_S, 0, False)
    with pytest.raises(OfflineError) as missing:
        world.service.sync(unknown)
    assert missing.value.reason is Reason.UNKNOWN_DEVICE


def _key_id(public_key: bytes) -> bytes:
    from digisom.offline.codec import key_id  # noqa: PLC0415

    return key_id(public_key)


class CrashingLedger:
    """A ledger gateway that dies once, before committing a batch of payouts."""

    def __init__(self, world: LedgerWorld) -> None:
        self.inner = world.ledger
        self.armed = True

    def create_accounts(self, events: Sequence[Account]) -> list[CreateAccountResult]:
        return self.inner.create_accounts(events)

    def create_transfers(self, events: Sequence[Transfer]) -> list[CreateTransferResult]:
        if self.armed:
            self.armed = False
            raise ConnectionError("the server lost its database connection")
        return self.inner.create_transfers(events)

    def lookup_accounts(self, ids: Sequence[int]) -> list[Account]:
        return self.inner.lookup_accounts(ids)

    def lookup_transfers(self, ids: Sequence[int]) -> list[Transfer]:
        return self.inner.lookup_transfers(ids)


def test_a_run_cut_off_before_the_ledger_is_posted_by_the_next_sync(world: LedgerWorld) -> None:
    pensioner = world.device("pensioner", fund_tyiyn=400_000)
    merchant = world.device("merchant")
    merchant.receive(pensioner.pay(merchant.device_id, 70_000, world.clock()), world.clock(),
                     pensioner.certificate.encoded)
    crashing = OfflineService(world.engine, CrashingLedger(world), world.wallets, world.clock)
    request = sign_sync_request(signer("merchant"), merchant.upload(), world.clock(), 0, False)
    with pytest.raises(ConnectionError):
        crashing.sync(request)
    assert world.balance(wallet_account_id("merchant")) == 1_000_000  # decided, not yet posted
    nothing_new = world.service.sync(sign_sync_request(signer("pensioner"), Upload(pensioner.device_id, (), ()),
                                                       world.clock(), 0, False))
    assert nothing_new.paid_tyiyn == 0
    assert world.balance(wallet_account_id("merchant")) == 1_000_000 + 70_000  # the pending run was posted
    assert world.service.sync(request).paid_tyiyn == 0
    assert world.balance(wallet_account_id("merchant")) == 1_000_000 + 70_000
    books_balance(world, world.circulation_tyiyn())
