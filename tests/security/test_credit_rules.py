"""Issue 14, "credits that skip the wallet's rules": a government disbursement credited
recipient wallets directly, so a wallet frozen under a court order after the file's
upload was still paid, and a payment could take a wallet over its holding limit.

Now every credit of a wallet goes through one rule (`digisom.cbdc.credits`), here reached
through the disbursement wiring: a frozen recipient is not paid (the payment is rejected
with reason `recipient_frozen`, the money stays with the treasury), and the excess over
a holding limit goes to the recipient's linked bank deposit. Each test checks the
balances, that circulation equals issuance, and that the ledger verifies.
"""

from __future__ import annotations

from digisom.api.stablecoin_wiring import CbdcWallets
from tests.api.world import SOM, World
from tests.security.disbursement_runs import PENSIONER_PIN, approved_run, assert_ledger_verifies, settled

TIER0_LIMIT_TYIYN = 15_000 * SOM  # policy_default.toml: a tier-0 wallet holds at most 15,000 som


def _programme(world: World) -> None:
    body = {"id": "pensions", "name": "Pensions", "budget_tyiyn": str(100_000 * SOM), "currency": "KGS",
            "source_wallet_id": world.wallets["treasury"]}
    world.ok(world.post("treasury_operator", "/v1/disbursement/programmes", body), 201)


def test_a_recipient_frozen_after_the_upload_is_not_paid(world: World) -> None:
    _programme(world)
    run_id = approved_run(world, 500 * SOM)
    world.ok(world.post("central_bank", f"/v1/wallets/{world.wallets['pensioner']}/freeze",
                        {"reason": "court order", "legal_order_ref": "BISHKEK-2026-201"}))
    circulation = world.assert_balanced()
    treasury, pensioner = world.balance("treasury"), world.balance("pensioner")

    run = settled(world, run_id)

    assert (run["status"], run["worker_error"]) == ("completed", None), run
    assert (run["payments"]["paid"]["count"], run["payments"]["rejected"]["count"]) == (0, 1), run
    report = world.ok(world.get("auditor", f"/v1/disbursement/runs/{run_id}/report"))
    assert [(line["pin"], line["status"], line["reason"]) for line in report["lines"]] == [
        (PENSIONER_PIN, "rejected", "recipient_frozen")]
    assert (world.balance("treasury"), world.balance("pensioner")) == (treasury, pensioner)  # nothing moved
    assert world.ok(world.get("auditor", "/v1/disbursement/programmes/pensions"))["remaining_tyiyn"] == str(
        100_000 * SOM)
    assert world.assert_balanced() == circulation
    assert_ledger_verifies(world)


def test_the_excess_over_a_holding_limit_goes_to_the_linked_deposit(world: World) -> None:
    _programme(world)
    amount_tyiyn = TIER0_LIMIT_TYIYN + 250 * SOM  # the pensioner's wallet (tier 0, empty) holds 15,000 som
    run_id = approved_run(world, amount_tyiyn)
    circulation = world.assert_balanced()
    treasury, deposit = world.balance("treasury"), world.deposit("pensioner")

    run = settled(world, run_id)

    assert (run["status"], run["payments"]["paid"]["count"]) == ("completed", 1), run
    assert world.balance("pensioner") == TIER0_LIMIT_TYIYN  # up to the limit, never above it
    assert world.deposit("pensioner") == deposit + 250 * SOM  # the rest, as commercial-bank money
    assert world.balance("treasury") == treasury - amount_tyiyn
    # The 250 som of digital som went to the bank's float (still circulating), the deposit got bank money.
    assert world.assert_balanced() == circulation
    assert_ledger_verifies(world)


def test_the_bridge_sees_a_frozen_wallet_by_its_reason_and_its_room_with_pending_credits(world: World) -> None:
    """The KGST bridge's adapter (api/stablecoin_wiring) asks the same rule: a frozen
    wallet may not receive (`wallet_frozen`), and the room under the limit is the rule's."""
    wallets = CbdcWallets(world.runtime.service.ctx)
    pensioner = world.wallets["pensioner"]
    found = wallets.wallet(pensioner)
    assert found is not None and found.usable and found.room_tyiyn == TIER0_LIMIT_TYIYN - world.balance("pensioner")
    world.ok(world.post("central_bank", f"/v1/wallets/{pensioner}/freeze",
                        {"reason": "court order", "legal_order_ref": "BISHKEK-2026-202"}))
    frozen = wallets.wallet(pensioner)
    assert frozen is not None and (frozen.usable, frozen.refusal) == (False, "wallet_frozen")
