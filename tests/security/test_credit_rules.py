"""Issue 14, "credits that skip the wallet's rules": a government disbursement credited
recipient wallets directly, so a wallet frozen under a court order after the file's
upload was still paid, and a payment could take a wallet over its holding limit; a KGST
redemption over the wallet's room went `unmatched` instead of waterfalling.

Now every credit of a wallet goes through one rule (`digisom.cbdc.credits`), here reached
through the disbursement wiring and the KGST bridge's wiring: a frozen recipient is not
paid (a disbursement is rejected with reason `recipient_frozen`, the money stays with the
treasury; a redemption stays unmatched, its tokens unburnt and backed by the reserve),
and the excess over a holding limit goes to the recipient's linked bank deposit. Each
test checks the balances, that circulation equals issuance, and that the ledger verifies.
"""

from __future__ import annotations

from digisom.api.stablecoin_wiring import BridgeWalletDirectory
from digisom.cbdc import accounts as cbdc_accounts
from digisom.cbdc.accounts import AccountCode
from digisom.kernel.chart import LEDGER_KGS
from digisom.kernel.ids import framed_id
from digisom.ledger.model import Transfer, TransferFlags
from digisom.ledger.results import CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.stablecoin.accounts import StablecoinTransferCode
from digisom.stablecoin.model import State
from digisom.stores.url import open_store
from tests.api.world import AYIL, SOM, World
from tests.security.disbursement_runs import PENSIONER_PIN, approved_run, assert_ledger_verifies, settled
from tests.security.kgst_bridge import Kgst, kgst_bridge

TIER0_LIMIT_TYIYN = 15_000 * SOM  # policy_default.toml: a tier-0 wallet holds at most 15,000 som
KGST_TYIYN = 2_000 * SOM  # what the pensioner converts into KGST
ROOM_TYIYN = 100 * SOM  # her wallet's room under its limit when she redeems
REDEEM_TYIYN = 500 * SOM
REDEEM_CODE = int(StablecoinTransferCode.KGST_REDEEM)
WATERFALL_CODE = int(StablecoinTransferCode.KGST_REDEEM_WATERFALL)


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


def _pensioner_holds_kgst_near_her_limit(world: World, kgst: Kgst) -> None:
    """The pensioner converts `KGST_TYIYN` of digital som into KGST, then is paid up to
    `ROOM_TYIYN` short of her wallet's holding limit, and links her address to it."""
    pensioner = world.wallets["pensioner"]
    world.ok(world.pay("treasury", "treasury", "pensioner", KGST_TYIYN // SOM), 201)
    minted = kgst.bridge.request_mint("savings", pensioner, kgst.holder.address, KGST_TYIYN)
    assert minted.state is State.POSTED, minted.failure
    world.ok(world.pay("treasury", "treasury", "pensioner",
                       (TIER0_LIMIT_TYIYN - ROOM_TYIYN - world.balance("pensioner")) // SOM), 201)
    kgst.bridge.link_address(pensioner, kgst.holder.address)


def test_a_kgst_redemption_over_the_holding_limit_goes_partly_to_the_linked_deposit(world: World) -> None:
    """Before, a redemption over the wallet's room went `unmatched` and waited for the
    operator; now it lands like every credit (`KGST_REDEEM_WATERFALL` for the excess)."""
    with kgst_bridge(world) as kgst:
        _pensioner_holds_kgst_near_her_limit(world, kgst)
        circulation = world.assert_balanced()
        deposit = world.deposit("pensioner")

        redeem = kgst.redeem(REDEEM_TYIYN)

        assert redeem.state is State.POSTED, redeem.failure
        assert world.balance("pensioner") == TIER0_LIMIT_TYIYN  # up to the limit, never above it
        assert world.deposit("pensioner") == deposit + REDEEM_TYIYN - ROOM_TYIYN  # the rest, as bank money
        report = kgst.bridge.reserve_report()
        assert report.balanced and report.reserve_tyiyn == report.supply_tyiyn == KGST_TYIYN - REDEEM_TYIYN
    # The redeemed som left the KGST reserve: into the wallet, and into the bank's float for the excess.
    assert world.assert_balanced() == circulation
    assert_ledger_verifies(world)


def test_a_kgst_redemption_to_a_frozen_wallet_credits_nothing_and_the_tokens_stay_backed(world: World) -> None:
    with kgst_bridge(world) as kgst:
        _pensioner_holds_kgst_near_her_limit(world, kgst)
        world.ok(world.post("central_bank", f"/v1/wallets/{world.wallets['pensioner']}/freeze",
                            {"reason": "court order", "legal_order_ref": "BISHKEK-2026-203"}))
        circulation = world.assert_balanced()
        balance, deposit = world.balance("pensioner"), world.deposit("pensioner")

        redeem = kgst.redeem(REDEEM_TYIYN)

        assert redeem.state is State.UNMATCHED and (redeem.failure or "").startswith("wallet_frozen")
        assert (world.balance("pensioner"), world.deposit("pensioner")) == (balance, deposit)  # nothing moved
        # The value stays where it was: the tokens at the redemption address (not burnt),
        # their digital som in the KGST reserve, recorded for the operator.
        assert kgst.gateway.balance_of(kgst.gateway.redemption_address) == REDEEM_TYIYN
        report = kgst.bridge.reserve_report()
        assert report.balanced and report.reserve_tyiyn == report.supply_tyiyn == KGST_TYIYN
    assert world.assert_balanced() == circulation
    assert_ledger_verifies(world)


def test_the_bridge_plans_a_redemption_by_the_rule_with_pending_credits(world: World) -> None:
    """The KGST bridge's adapter (api/stablecoin_wiring) asks the same rule: the room under
    the limit counts credits still pending, the excess goes to the holder bank's float and
    linked deposit, and a frozen wallet is refused by its reason (`wallet_frozen`)."""
    wallets = BridgeWalletDirectory(world.runtime.service.ctx)
    pensioner = world.wallets["pensioner"]
    reserve, pending_tyiyn = 1, 100 * SOM  # any debit account: the plan names it, the ledger is not asked
    room_tyiyn = TIER0_LIMIT_TYIYN - world.balance("pensioner")
    _pending_credit(world, "pensioner", pending_tyiyn)  # say, another redemption's hold: it uses part of the room
    plan = wallets.plan_credit(pensioner, room_tyiyn, reserve, REDEEM_CODE, WATERFALL_CODE)
    assert not isinstance(plan, str)
    assert [(leg.name, leg.amount_tyiyn, leg.code) for leg in plan] == [
        ("payment", room_tyiyn - pending_tyiyn, REDEEM_CODE), ("waterfall-float", pending_tyiyn, WATERFALL_CODE),
        ("waterfall-deposit", pending_tyiyn, WATERFALL_CODE)]
    assert [(leg.debit_account_id, leg.credit_account_id) for leg in plan] == [
        (reserve, cbdc_accounts.wallet_account_id(pensioner)),
        (reserve, cbdc_accounts.bank_account_id(AYIL, AccountCode.BANK_FLOAT)),
        (cbdc_accounts.bank_account_id(AYIL, AccountCode.DEPOSIT_FUNDING), cbdc_accounts.deposit_account_id(pensioner))]
    world.ok(world.post("central_bank", f"/v1/wallets/{pensioner}/freeze",
                        {"reason": "court order", "legal_order_ref": "BISHKEK-2026-202"}))
    assert wallets.plan_credit(pensioner, room_tyiyn, reserve, REDEEM_CODE, WATERFALL_CODE) == "wallet_frozen"
    frozen = wallets.wallet(pensioner)
    assert frozen is not None and (frozen.usable, frozen.refusal) == (False, "wallet_frozen")


def _pending_credit(world: World, payee: str, amount_tyiyn: int) -> None:
    """A pending transfer from the treasury's wallet into `payee`'s, straight in the ledger."""
    store = open_store(world.runtime.db_url)
    try:
        hold = Transfer(framed_id(b"digisom-test", ("pending credit", payee)),
                        cbdc_accounts.wallet_account_id(world.wallets["treasury"]),
                        cbdc_accounts.wallet_account_id(world.wallets[payee]), amount_tyiyn, LEDGER_KGS,
                        REDEEM_CODE, int(TransferFlags.PENDING))
        assert Ledger(store).create_transfers([hold]) == [CreateTransferResult.ok]
    finally:
        store.close()
