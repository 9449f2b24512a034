"""USDKG invoices settled through the issuer's redemption at the quote, and a re-org that
removes a payment after its sweep was sent (in-process EVM): nothing settled twice,
nothing lost, the merchant and the payer told."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digisom.chain.contracts import Artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.chain.transactor import Transactor
from digisom.merchants.model import InvoiceStatus, MoveKind, MoveState
from digisom.merchants.service import usd_units
from tests.merchants.test_edge_cases import PRICE, settled_once
from tests.merchants.world import ISSUER_WALLET, MERCHANT, USD_SOM_E6, WALLET, MerchantWorld
from tests.stablecoin.world import OPENING_TYIYN


@pytest.fixture
def usdkg_world(tmp_path: Path, chain: EmbeddedChain, artifact: Artifact) -> Iterator[MerchantWorld]:
    built = MerchantWorld(tmp_path, chain, artifact, usdkg=True)
    try:
        yield built
    finally:
        built.close()


def test_a_usdkg_invoice_is_settled_in_som_through_the_issuers_redemption_at_the_quote(
        usdkg_world: MerchantWorld) -> None:
    world = usdkg_world
    token = world.usdkg
    assert token is not None and world.issuer is not None
    payer = world.kgst.address("pensioner")
    token.mint(payer, 10_000_000)  # ten USDKG, bought elsewhere
    invoice = world.service.create(MERCHANT, "usd-1", WALLET, PRICE, "USDKG")
    assert invoice.rate_som_e6 == USD_SOM_E6
    assert invoice.pay_units == usd_units(PRICE, 6, USD_SOM_E6) == 4_002_288  # rounded up: 4.002288 USDKG
    world.rates.som_e6 = 90_000_000  # the rate moves; the invoice keeps its quote
    supply = token.total_supply()
    Transactor(world.chain, world.kgst.keys["pensioner"]).send(
        token.address, world.kgst.abi.fn("transfer").encode(invoice.pay_address, invoice.pay_units))
    world.settle()
    done = world.service.invoice(invoice.invoice_id)
    assert done.status is InvoiceStatus.SETTLED, done.reason
    assert done.settled_tyiyn == PRICE and "redeemed at 87450000" in done.reason
    assert world.kgst.balance_tyiyn("merchant") == OPENING_TYIYN + PRICE
    assert world.kgst.balance_tyiyn(ISSUER_WALLET) == OPENING_TYIYN - PRICE
    assert token.total_supply() == supply - invoice.pay_units  # burned by the issuer's one redeem path
    assert token.balance_of(invoice.pay_address) == 0 and token.balance_of(token.redemption_address) == 0
    redeemed = [op for op in world.issuer.minting.operations() if op.request.kind.value == "redeem"]
    assert [(op.request.operation_id, op.request.amount_units) for op in redeemed] == [
        (f"merchant-invoice:{invoice.invoice_id}", invoice.pay_units)]
    # Idempotent: a restarted service, more rounds: nothing redeemed or paid again.
    world.service = world.make_service()
    world.settle(3)
    assert world.kgst.balance_tyiyn("merchant") == OPENING_TYIYN + PRICE
    assert len(world.issuer.minting.operations()) == 1 and token.total_supply() == supply - invoice.pay_units


def test_a_usdkg_settlement_the_ledger_refuses_fails_the_invoice_with_the_reason(usdkg_world: MerchantWorld) -> None:
    world = usdkg_world
    assert world.usdkg is not None
    world.usdkg.mint(world.kgst.address("pensioner"), 200_000_000)
    big = OPENING_TYIYN + 1  # more than the issuer's som wallet holds
    invoice = world.service.create(MERCHANT, "usd-2", WALLET, big, "USDKG")
    Transactor(world.chain, world.kgst.keys["pensioner"]).send(
        world.usdkg.address, world.kgst.abi.fn("transfer").encode(invoice.pay_address, invoice.pay_units))
    world.settle()
    failed = world.service.invoice(invoice.invoice_id)
    assert failed.status is InvoiceStatus.FAILED and "exceeds_credits" in failed.reason, failed.reason
    assert world.kgst.balance_tyiyn("merchant") == OPENING_TYIYN and failed.settled_tyiyn == 0


def test_a_reorg_after_the_sweep_was_sent_settles_nothing_loses_nothing_and_says_so(world: MerchantWorld) -> None:
    assert isinstance(world.chain, EmbeddedChain)
    payer = world.fund_payer("pensioner", 500_00)
    invoice = world.service.create(MERCHANT, "k", WALLET, PRICE, "KGST")
    fork = world.chain.snapshot()
    world.kgst.send_tokens("pensioner", invoice.pay_address, PRICE)
    world.chain.mine(world.depth - 1)  # confirmed at depth
    world.service.process()  # counted, swept (the sweep is mined at once)
    swept = world.service.moves(invoice.invoice_id)
    assert world.service.invoice(invoice.invoice_id).status is InvoiceStatus.SETTLING
    assert [(m.kind, m.state) for m in swept] == [(MoveKind.SWEEP, MoveState.SENT)]
    world.chain.revert(fork)  # a deep re-org: the payment and the sweep leave the chain
    world.settle()
    gone = world.service.invoice(invoice.invoice_id)
    assert gone.status is InvoiceStatus.OPEN and gone.received_units == 0, gone.reason
    assert "re-org removed payment" in gone.reason and "nothing was settled" in gone.reason
    assert world.service.payer_view(invoice.invoice_id).reason == gone.reason  # the payer is told too
    assert [m.state for m in world.service.moves(invoice.invoice_id)] == [MoveState.FAILED]
    assert world.kgst.balance_tyiyn("merchant") == OPENING_TYIYN  # nothing settled
    assert world.kgst.gateway.balance_of(payer) == 500_00  # nothing lost: the payer still holds it
    world.kgst.send_tokens("pensioner", invoice.pay_address, PRICE)  # paid again on the new chain
    world.settle()
    settled_once(world, invoice)  # the same sweep authorization, sent again: settled once
    assert [(m.kind, m.state) for m in world.service.moves(invoice.invoice_id)] == [
        (MoveKind.SWEEP, MoveState.CONFIRMED)]
    assert world.kgst.gateway.balance_of(payer) == 500_00 - PRICE
