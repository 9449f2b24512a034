"""A request to return unspent value is bound to the funding it returns.

Before, an old `return_unspent` request replayed after that return and a fresh funding
sent the fresh funding back to the wallet (its `created_at_s` was decoded, never
checked): the device then spent an allowance the reserve no longer held. Now the
request signs the reserve's funding total, value goes back only while that total is
current, and the database keeps one return per funding epoch."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from digisom.offline import codec
from digisom.offline import tables as t
from digisom.offline.accounts import reserve_account_id
from digisom.offline.device import Device
from digisom.offline.device_sync import sync_device
from digisom.offline.errors import Reason
from digisom.offline.service import ReturnClaim, SyncOutcome
from digisom.offline.sync_request import SYNC_CONTEXT, decode_sync_request
from digisom.offline.upload import Upload
from tests.offline.ledger_world import LedgerWorld, books_balance, wallet_account_id
from tests.offline.world import DAY_S, signer

WALLET_START_TYIYN = 1_000_000


def pay_shop(world: LedgerWorld, payer: Device, shop: Device, amount_tyiyn: int) -> None:
    now_s = world.clock()
    shop.receive(payer.pay(shop.device_id, amount_tyiyn, now_s), now_s, payer.certificate.encoded)


def sync_capturing(world: LedgerWorld, device: Device, holder: str, captured: list[bytes]) -> list[SyncOutcome]:
    """Sync with `return_unspent`, keeping every signed request (what an eavesdropper keeps)."""

    def send(request: bytes) -> SyncOutcome:
        captured.append(request)
        return world.service.sync(request)

    return sync_device(device, signer(holder), world.clock(), True, send)


def test_a_return_replayed_after_a_defund_and_a_fresh_funding_moves_nothing(ledger_world: LedgerWorld) -> None:
    world = ledger_world
    pensioner = world.device("pensioner", fund_tyiyn=400_000)
    shop = world.device("shop")
    circulation = world.circulation_tyiyn()
    pay_shop(world, pensioner, shop, 150_000)
    world.sync(shop, "shop")
    captured: list[bytes] = []
    (first,) = sync_capturing(world, pensioner, "pensioner", captured)
    assert first.returned_tyiyn == {pensioner.device_id: 250_000}
    assert world.balance(wallet_account_id("pensioner")) == WALLET_START_TYIYN + 250_000
    # A fresh funding; then the captured request comes again.
    world.fund(pensioner, "pensioner", 250_000, "fresh")
    world.clock.now_s += DAY_S
    replayed = world.service.sync(captured[0])
    assert replayed.returned_tyiyn == {}
    assert replayed.returns_refused == {pensioner.device_id: Reason.STALE_RETURN}
    assert world.balance(reserve_account_id(pensioner.device_id)) == 250_000
    assert world.balance(wallet_account_id("pensioner")) == WALLET_START_TYIYN + 250_000 - 250_000
    books_balance(world, circulation)
    # The device spends its fresh allowance in full: the reserve still holds it.
    pay_shop(world, pensioner, shop, 50_000)
    world.sync(shop, "shop")
    assert world.balance(wallet_account_id("shop")) == WALLET_START_TYIYN + 200_000
    # A fresh request, bound to the current funding, returns what is left, once.
    again: list[bytes] = []
    (fresh,) = sync_capturing(world, pensioner, "pensioner", again)
    assert fresh.returned_tyiyn == {pensioner.device_id: 200_000}
    assert fresh.returns_refused == {}
    assert world.balance(reserve_account_id(pensioner.device_id)) == 0
    assert world.service.sync(again[0]).returned_tyiyn == {}
    assert world.service.sync(captured[0]).returned_tyiyn == {}
    assert world.balance(wallet_account_id("pensioner")) == WALLET_START_TYIYN + 200_000
    books_balance(world, circulation)


def test_the_signed_request_carries_the_funding_total(ledger_world: LedgerWorld) -> None:
    world = ledger_world
    pensioner = world.device("pensioner", fund_tyiyn=300_000)
    world.fund(pensioner, "pensioner", 20_000, "more")
    captured: list[bytes] = []
    sync_capturing(world, pensioner, "pensioner", captured)
    request = decode_sync_request(captured[0])
    assert request.funding_total_tyiyn == pensioner.funding_total_tyiyn == 320_000
    assert pensioner.balance_tyiyn == 0  # returned; the total does not go down
    assert Device.from_state(signer("pensioner"), pensioner.snapshot()).funding_total_tyiyn == 320_000


def test_a_version_1_request_settles_its_payments_but_returns_nothing(ledger_world: LedgerWorld) -> None:
    world = ledger_world
    pensioner = world.device("pensioner", fund_tyiyn=400_000)
    shop = world.device("shop")
    pay_shop(world, pensioner, shop, 10_000)
    upload = pensioner.upload()
    body = codec.encode([1, pensioner.device_id, world.clock(), pensioner.spent_tyiyn, 1, list(upload.sent), []])
    old = codec.seal_envelope(body, signer("pensioner").sign(SYNC_CONTEXT + body))
    outcome = world.service.sync(old)
    assert outcome.paid_tyiyn == 10_000
    assert outcome.returned_tyiyn == {}
    assert outcome.returns_refused == {pensioner.device_id: Reason.UNBOUND_RETURN}
    assert world.balance(reserve_account_id(pensioner.device_id)) == 390_000


def test_the_database_refuses_a_second_return_in_one_funding_epoch(ledger_world: LedgerWorld) -> None:
    world = ledger_world
    pensioner = world.device("pensioner", fund_tyiyn=400_000)
    with world.engine.begin() as conn:  # as if this epoch had been returned already
        conn.execute(t.returns.insert().values(device_key_id=pensioner.device_id, funding_total_tyiyn=400_000,
                                               run_id=0))
    claim = {pensioner.device_id: ReturnClaim(0, 400_000)}
    with pytest.raises(IntegrityError):
        world.service.settle_uploads([Upload(pensioner.device_id, (), ())], claim)
    assert world.balance(reserve_account_id(pensioner.device_id)) == 400_000
