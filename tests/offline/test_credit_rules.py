"""An offline payout credits a wallet like every other credit (issue 14, "credits that skip
the wallet's rules"): the excess over the payee wallet's holding limit goes to the
holder's linked bank deposit (`OFFLINE_WATERFALL`), a frozen wallet gets nothing (the run
is parked, its value kept in the payer's reserve) until an operator retries it.

Before, a payout was posted to the wallet whole, taking it over its holding limit. Each
test checks the balances, that circulation equals issuance and that the ledger verifies.
"""

from __future__ import annotations

from digisom.http.services import filled
from digisom.offline.device import Device
from digisom.offline.http.slots import OFFLINE_SERVICE
from digisom.offline.service import OfflineService
from tests.api.conftest import runtime, world
from tests.api.world import SOM, World, kgs
from tests.offline.test_api import device, offline_reserves, sync
from tests.security.disbursement_runs import assert_ledger_verifies

__all__ = ["runtime", "world"]

TIER0_LIMIT_TYIYN = 15_000 * SOM  # policy_default.toml: the pensioner's tier-0 wallet holds at most 15,000 som
PAYMENT_TYIYN = 2_000 * SOM
ROOM_TYIYN = 100 * SOM


def _merchant_pays_pensioner(world: World) -> tuple[Device, int]:
    """The pensioner's wallet `ROOM_TYIYN` short of its limit; the merchant's device pays
    the pensioner's device `PAYMENT_TYIYN` offline. The pensioner's device and the sync time."""
    world.ok(world.pay("treasury", "treasury", "merchant", 3_000), 201)
    world.ok(world.pay("treasury", "treasury", "pensioner", (TIER0_LIMIT_TYIYN - ROOM_TYIYN) // SOM), 201)
    merchant, pensioner = device(world, "merchant"), device(world, "pensioner")
    fund = {"device_key_id": merchant.device_id.hex(), **kgs(3_000)}
    world.ok(world.post("merchant", f"/v1/offline/wallets/{world.wallets['merchant']}/fundings", fund))
    merchant.fund(3_000 * SOM)
    now_s = merchant.certificate.not_before_s + 86_400 + 60
    pensioner.receive(merchant.pay(pensioner.device_id, PAYMENT_TYIYN, now_s), now_s, merchant.certificate.encoded)
    return pensioner, now_s


def _offline(world: World) -> OfflineService:
    return filled(world.runtime.app, OFFLINE_SERVICE).get()


def test_an_offline_payout_over_the_holding_limit_goes_partly_to_the_linked_deposit(world: World) -> None:
    pensioner, now_s = _merchant_pays_pensioner(world)
    circulation = world.assert_balanced()
    deposit = world.deposit("pensioner")

    synced = world.ok(sync(world, "pensioner", pensioner, now_s))

    assert (synced["paid_tyiyn"], synced["parked_reason"]) == (str(PAYMENT_TYIYN), None)
    assert world.balance("pensioner") == TIER0_LIMIT_TYIYN  # up to the limit, never above it
    assert world.deposit("pensioner") == deposit + PAYMENT_TYIYN - ROOM_TYIYN  # the rest, as bank money
    assert offline_reserves(world) == 3_000 * SOM - PAYMENT_TYIYN
    assert world.assert_balanced() == circulation  # the excess stays digital som, in the bank's float
    assert_ledger_verifies(world)


def test_a_frozen_payee_gets_nothing_until_the_parked_run_is_retried(world: World) -> None:
    pensioner, now_s = _merchant_pays_pensioner(world)
    world.ok(world.post("central_bank", f"/v1/wallets/{world.wallets['pensioner']}/freeze",
                        {"reason": "court order", "legal_order_ref": "BISHKEK-2026-301"}))
    circulation = world.assert_balanced()
    balance, deposit = world.balance("pensioner"), world.deposit("pensioner")

    synced = world.ok(sync(world, "pensioner", pensioner, now_s))

    assert synced["parked_reason"] == "wallet_not_usable"
    assert (world.balance("pensioner"), world.deposit("pensioner")) == (balance, deposit)  # nothing moved
    assert offline_reserves(world) == 3_000 * SOM  # the payment's value waits in the payer's reserve
    offline = _offline(world)
    (parked,) = offline.parked_runs()
    still = offline.retry_parked(parked.run_id)  # still frozen: parked again, nothing moved
    assert still.parked is not None and still.parked.reason.value == "wallet_not_usable"
    assert [p.run_id for p in offline.parked_runs()] == [parked.run_id]
    assert world.balance("pensioner") == balance

    world.ok(world.post("central_bank", f"/v1/wallets/{world.wallets['pensioner']}/unfreeze",
                        {"reason": "order lifted", "legal_order_ref": "BISHKEK-2026-302"}))
    retried = offline.retry_parked(parked.run_id)
    again = offline.retry_parked(parked.run_id)

    assert (retried.parked, retried.transfers_posted > 0) == (None, True)
    assert (again.parked, again.transfers_posted) == (None, 0)  # idempotent: nothing twice
    assert offline.parked_runs() == []
    assert world.balance("pensioner") == TIER0_LIMIT_TYIYN
    assert world.deposit("pensioner") == deposit + PAYMENT_TYIYN - ROOM_TYIYN
    assert world.assert_balanced() == circulation
    assert_ledger_verifies(world)
