"""A payer stopped by screening (context `merchant_payment`): two officers' final decision
reaches the invoice through the desk's subscriber; cleared, the invoice settles once;
confirmed, it stays stopped with the tokens held and the reason saying so."""

from __future__ import annotations

import pytest

from digisom.api.merchants_wiring import MERCHANT_PAYMENT_CONTEXT, MerchantPaymentReleases
from digisom.compliance.decisions import ReviewOutcome
from digisom.compliance.releases import FinalDecision
from digisom.merchants.errors import RefundRefused
from digisom.merchants.model import InvoiceStatus
from tests.merchants.test_edge_cases import PRICE, settled_once
from tests.merchants.world import MERCHANT, WALLET, MerchantWorld
from tests.stablecoin.world import OPENING_TYIYN


def stopped_invoice(world: MerchantWorld) -> tuple[str, int]:
    payer = world.fund_payer("pensioner", 500_00)
    world.screener.listed.add(payer)
    invoice = world.service.create(MERCHANT, "k", WALLET, PRICE, "KGST")
    world.kgst.send_tokens("pensioner", invoice.pay_address, PRICE)
    world.settle(4)
    assert world.service.invoice(invoice.invoice_id).status is InvoiceStatus.STOPPED
    (payment,) = world.service.payments(invoice.invoice_id)
    return invoice.invoice_id, int(payment.reason.split(" ")[0].removeprefix("screening:"))


def decision(screening_id: int, outcome: ReviewOutcome) -> FinalDecision:
    return FinalDecision(7, screening_id, MERCHANT_PAYMENT_CONTEXT, outcome, "officer-a", "officer-b",
                         "the name matched, the address did not", "name", 910, "ofac:1")


def test_a_cleared_review_releases_the_stopped_invoice_and_it_settles_once(world: MerchantWorld) -> None:
    invoice_id, screening_id = stopped_invoice(world)
    release = MerchantPaymentReleases(world.service)
    other = release(decision(screening_id + 100, ReviewOutcome.CLEARED))  # another screening: nothing here
    assert other == "no invoice held on this screening"
    assert world.service.invoice(invoice_id).status is InvoiceStatus.STOPPED
    assert release(decision(screening_id, ReviewOutcome.CLEARED)) == f"invoices released: {invoice_id}"
    world.settle()
    invoice = world.service.invoice(invoice_id)
    settled_once(world, invoice)
    assert "officer-b" in world.service.payments(invoice_id)[0].reason  # both officers on the record
    assert release(decision(screening_id, ReviewOutcome.CLEARED)) == "no invoice held on this screening"
    world.settle(2)
    assert world.kgst.balance_tyiyn("merchant") == OPENING_TYIYN + PRICE  # a retried release settles nothing twice


def test_a_confirmed_hit_keeps_the_invoice_stopped_and_the_tokens_held(world: MerchantWorld) -> None:
    invoice_id, screening_id = stopped_invoice(world)
    note = MerchantPaymentReleases(world.service)(decision(screening_id, ReviewOutcome.CONFIRMED))
    assert note == f"invoices kept stopped: {invoice_id}"
    world.settle(2)
    held = world.service.invoice(invoice_id)
    assert held.status is InvoiceStatus.STOPPED and "confirmed" in held.reason and "held" in held.reason
    assert world.service.payer_view(invoice_id).reason == held.reason
    assert world.kgst.gateway.balance_of(held.pay_address) == PRICE
    assert world.kgst.balance_tyiyn("merchant") == OPENING_TYIYN
    with pytest.raises(RefundRefused):
        world.service.refund(MERCHANT, invoice_id)
