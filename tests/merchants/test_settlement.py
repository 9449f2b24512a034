"""A tourist pays a café in Karakol with KGST; the café receives som (in-process EVM)."""

from __future__ import annotations

import pytest

from digisom.merchants.errors import AssetUnavailable, IdempotencyConflict, InvoiceInvalid, WalletRefused
from digisom.merchants.links import parse_eip681, render_png, render_svg
from digisom.merchants.model import InvoiceStatus, MoveKind
from digisom.merchants.service import payment_link
from tests.merchants.world import MERCHANT, WALLET, MerchantWorld
from tests.stablecoin.world import OPENING_TYIYN


def test_an_invoice_is_an_eip681_link_and_a_qr_code(world: MerchantWorld) -> None:
    invoice = world.service.create(MERCHANT, "k1", WALLET, 350_00, "KGST", "two lagman")
    link = parse_eip681(payment_link(invoice))
    assert (link.token_address, link.chain_id, link.to, link.amount_units) == (
        world.kgst.deployment.address, 56, invoice.pay_address, 350_00)
    assert invoice.pay_address == world.keys.address(invoice.invoice_id)
    assert render_png(payment_link(invoice)).startswith(b"\x89PNG")
    assert b"<svg" in render_svg(payment_link(invoice))
    assert world.service.create(MERCHANT, "k1", WALLET, 350_00, "KGST", "two lagman") == invoice
    with pytest.raises(IdempotencyConflict):
        world.service.create(MERCHANT, "k1", WALLET, 351_00, "KGST")
    other = world.service.create(MERCHANT, "k2", WALLET, 350_00, "KGST")
    assert other.pay_address != invoice.pay_address


@pytest.mark.parametrize(("amount", "asset", "wallet", "error"), [
    (0, "KGST", WALLET, InvoiceInvalid), (1.5, "KGST", WALLET, InvoiceInvalid), (True, "KGST", WALLET, InvoiceInvalid),
    (100, "DOGE", WALLET, AssetUnavailable), (100, "USDKG", WALLET, AssetUnavailable),
    (100, "KGST", "pensioner", WalletRefused),
])
def test_bad_invoice_requests_are_refused(world: MerchantWorld, amount: object, asset: str, wallet: str,
                                          error: type[Exception]) -> None:
    with pytest.raises(error):
        world.service.create(MERCHANT, "bad", wallet, amount, asset)  # type: ignore[arg-type]


def test_a_plain_transfer_settles_som_into_the_merchants_wallet(world: MerchantWorld) -> None:
    world.fund_payer("pensioner", 500_00)
    invoice = world.service.create(MERCHANT, "k1", WALLET, 350_00, "KGST")
    world.kgst.send_tokens("pensioner", invoice.pay_address, 350_00)
    world.service.process()  # mined, not yet deep enough: nothing counted
    assert world.service.invoice(invoice.invoice_id).status is InvoiceStatus.OPEN
    world.settle()
    done = world.service.invoice(invoice.invoice_id)
    assert done.status is InvoiceStatus.SETTLED, done.reason
    assert done.settled_tyiyn == 350_00
    assert world.kgst.balance_tyiyn("merchant") == OPENING_TYIYN + 350_00
    assert world.kgst.gateway.balance_of(invoice.pay_address) == 0
    assert world.kgst.report().balanced
    # Nothing settled twice: more rounds, a restarted service, the same state.
    world.service = world.make_service()
    world.settle()
    assert world.kgst.balance_tyiyn("merchant") == OPENING_TYIYN + 350_00
    assert [m.kind for m in world.service.moves(invoice.invoice_id)] == [MoveKind.SWEEP]
