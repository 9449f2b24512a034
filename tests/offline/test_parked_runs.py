"""A run whose posting the ledger refuses is parked, not left in everyone's way.

Before, a refused pending run was retried first by every later sync, and failed it: one
payee's closed wallet stopped the sync of every device. Now the refused run is parked
with its typed reason for an operator; later syncs of other devices, and of the same
payer, go on; nothing is paid twice, and the parked payment's value stays in the reserve."""

from __future__ import annotations

from digisom.ledger.model import Transfer, TransferFlags
from digisom.ledger.results import CreateTransferResult
from digisom.offline.accounts import derive_id, reserve_account_id
from digisom.offline.device import Device
from digisom.offline.errors import Reason
from tests.offline.ledger_world import ISSUANCE_ID, LEDGER, LedgerWorld, books_balance, wallet_account_id

WALLET_START_TYIYN = 1_000_000


def close_wallet(world: LedgerWorld, holder: str) -> None:
    """Close the holder's wallet account in the ledger: it refuses every credit from now on."""
    closing = Transfer(derive_id("test", "close", holder), wallet_account_id(holder), ISSUANCE_ID, 0, LEDGER, 1,
                       int(TransferFlags.PENDING | TransferFlags.CLOSING_DEBIT))
    assert world.ledger.create_transfers([closing]) == [CreateTransferResult.ok]


def pay(world: LedgerWorld, payer: Device, payee: Device, amount_tyiyn: int) -> None:
    now_s = world.clock()
    payee.receive(payer.pay(payee.device_id, amount_tyiyn, now_s), now_s, payer.certificate.encoded)


def test_a_refused_run_is_parked_and_later_syncs_go_on(ledger_world: LedgerWorld) -> None:
    world = ledger_world
    pensioner = world.device("pensioner", fund_tyiyn=400_000)
    closed_shop, shop = world.device("closed-shop"), world.device("shop")
    circulation = world.circulation_tyiyn()
    pay(world, pensioner, closed_shop, 10_000)
    pay(world, pensioner, shop, 20_000)
    close_wallet(world, "closed-shop")
    upload = closed_shop.upload()

    (refused,) = world.sync(closed_shop, "closed-shop")
    assert refused.parked is not None
    assert refused.parked.reason is Reason.LEDGER_REFUSED
    assert "credit_account_already_closed" in refused.parked.detail
    (parked,) = world.service.parked_runs()
    assert parked == refused.parked
    assert parked.run_id == refused.run_id

    # Another device's sync goes on, and so does the payer's own, with its return.
    (paid,) = world.sync(shop, "shop")
    assert paid.parked is None
    assert world.balance(wallet_account_id("shop")) == WALLET_START_TYIYN + 20_000
    (returned,) = world.sync(pensioner, "pensioner", return_unspent=True)
    assert returned.parked is None
    assert returned.returned_tyiyn == {pensioner.device_id: 370_000}
    # The parked payment is neither paid nor lost: its value stays in the reserve.
    assert world.balance(wallet_account_id("closed-shop")) == WALLET_START_TYIYN
    assert world.balance(reserve_account_id(pensioner.device_id)) == 10_000
    # Re-uploading the parked payment pays nothing twice and parks nothing new.
    again = world.service.settle_uploads([upload])
    assert again.paid_tyiyn == 0
    assert again.result.duplicates == 1
    assert [p.run_id for p in world.service.parked_runs()] == [refused.run_id]
    books_balance(world, circulation)


def test_a_payee_frozen_since_the_payment_parks_the_run_and_is_not_credited(ledger_world: LedgerWorld) -> None:
    """Issue 14: an offline payout obeys the wallet's rules like any credit
    (`digisom.cbdc.credits`): a payee frozen under a legal order after it accepted the
    payment offline is not credited; the run is parked, its value stays in the reserve."""
    world = ledger_world
    pensioner = world.device("pensioner", fund_tyiyn=400_000)
    shop = world.device("frozen-shop")
    circulation = world.circulation_tyiyn()
    pay(world, pensioner, shop, 10_000)
    world.wallets.frozen.add("frozen-shop")  # a court order after the payment

    (refused,) = world.sync(shop, "frozen-shop")

    assert refused.parked is not None
    assert refused.parked.reason is Reason.WALLET_NOT_USABLE
    assert "frozen-shop" in refused.parked.detail
    assert world.service.parked_runs() == [refused.parked]
    assert world.balance(wallet_account_id("frozen-shop")) == WALLET_START_TYIYN
    assert world.balance(reserve_account_id(pensioner.device_id)) == 400_000  # nothing left the reserve
    assert world.circulation_tyiyn() == circulation
