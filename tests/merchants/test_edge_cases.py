"""Bad input and the awkward cases, on the in-process EVM: each ends with nothing settled
twice, nothing lost, and a status and reason that say what happened."""

from __future__ import annotations

import secrets

import pytest

from digisom.chain.contracts import Artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.chain.kgst import KgstRoles, deploy_kgst
from digisom.chain.transactor import Transactor
from digisom.merchants.authorization import TokenDomain, sign
from digisom.merchants.errors import AuthorizationRefused, InvoiceClosed, RefundRefused
from digisom.merchants.model import Invoice, InvoiceStatus, MoveKind, MoveState
from tests.merchants.world import MERCHANT, WALLET, MerchantWorld
from tests.stablecoin.world import OPENING_TYIYN

PRICE = 350_00


def fields(world: MerchantWorld, invoice: Invoice, *, to: str | None = None, value: int | None = None,
           chain_id: int | None = None, token: str | None = None, name: str = "KGST Kyrgyz Som",
           valid_before: int | None = None) -> dict[str, object]:
    """The tourist's wallet signs an EIP-3009 authorization (by default: exactly the invoice)."""
    domain = TokenDomain(name, chain_id or 56, token or world.kgst.deployment.address)
    before = valid_before if valid_before is not None else int(world.clock.now.timestamp()) + 3600
    auth = sign(world.kgst.keys["pensioner"], domain, to or invoice.pay_address,
                invoice.pay_units if value is None else value, 0, before, "0x" + secrets.token_hex(32))
    return {"from": auth.source, "to": auth.to, "value": auth.value, "validAfter": auth.valid_after,
            "validBefore": auth.valid_before, "nonce": auth.nonce, "signature": auth.signature}


def settled_once(world: MerchantWorld, invoice: Invoice) -> None:
    done = world.service.invoice(invoice.invoice_id)
    assert done.status is InvoiceStatus.SETTLED, done.reason
    assert world.kgst.balance_tyiyn("merchant") == OPENING_TYIYN + invoice.amount_tyiyn
    assert world.kgst.report().balanced


def test_an_eip3009_authorization_is_submitted_for_the_payer_and_settles(world: MerchantWorld) -> None:
    payer = world.fund_payer("pensioner", 500_00)
    invoice = world.service.create(MERCHANT, "k", WALLET, PRICE, "KGST")
    signed = fields(world, invoice)
    tx_hash = world.service.submit_authorization(invoice.invoice_id, signed)
    assert world.service.submit_authorization(invoice.invoice_id, signed) == tx_hash  # idempotent
    assert world.chain.receipt(tx_hash) is not None
    world.settle()
    settled_once(world, invoice)
    assert world.kgst.gateway.balance_of(payer) == 500_00 - PRICE
    assert world.chain.receipt(tx_hash).logs[0].address == world.kgst.deployment.address  # type: ignore[union-attr]


@pytest.mark.parametrize("change", ["amount", "payee", "chain", "token", "name", "expired", "not_payer"])
def test_a_signature_over_another_transaction_is_refused_before_anything_is_sent(
        world: MerchantWorld, artifact: Artifact, change: str) -> None:
    world.fund_payer("pensioner", 500_00)
    invoice = world.service.create(MERCHANT, "k", WALLET, PRICE, "KGST")
    other = world.service.create(MERCHANT, "k2", WALLET, PRICE, "KGST")
    signed = {
        "amount": lambda: fields(world, invoice, value=PRICE - 1),
        "payee": lambda: fields(world, invoice, to=other.pay_address),
        "chain": lambda: fields(world, invoice, chain_id=97),
        "token": lambda: fields(world, invoice, token=world.kgst.address("owner")),
        "name": lambda: fields(world, invoice, name="USDKG"),
        "expired": lambda: fields(world, invoice, valid_before=int(world.clock.now.timestamp()) + 5),
        # A valid signature, but the `from` claims someone else: recovers another signer.
        "not_payer": lambda: {**fields(world, invoice), "from": world.kgst.address("merchant")},
    }[change]()
    if change == "payee":  # signed for the other invoice, submitted to this one
        signed = {**signed, "to": invoice.pay_address}
    before = world.chain.block_number()
    with pytest.raises(AuthorizationRefused):
        world.service.submit_authorization(invoice.invoice_id, signed)
    assert world.chain.block_number() == before  # nothing sent: no gas spent
    assert world.service.moves(invoice.invoice_id) == []


def test_an_expired_invoice_takes_no_authorization_and_a_late_payment_is_refunded(world: MerchantWorld) -> None:
    payer = world.fund_payer("pensioner", 500_00)
    invoice = world.service.create(MERCHANT, "k", WALLET, PRICE, "KGST", expires_in_s=600)
    world.clock.advance(600 + 121)
    with pytest.raises(InvoiceClosed):
        world.service.submit_authorization(invoice.invoice_id, fields(world, invoice))
    world.settle(2)
    assert world.service.invoice(invoice.invoice_id).status is InvoiceStatus.EXPIRED
    world.kgst.send_tokens("pensioner", invoice.pay_address, PRICE)  # paid anyway, too late
    world.settle(4)
    late = world.service.invoice(invoice.invoice_id)
    assert late.status is InvoiceStatus.REFUND_DUE and "after expiry" in late.reason
    assert world.kgst.balance_tyiyn("merchant") == OPENING_TYIYN  # nothing settled
    world.service.refund(MERCHANT, invoice.invoice_id)
    world.settle(4)
    refunded = world.service.invoice(invoice.invoice_id)
    assert refunded.status is InvoiceStatus.REFUNDED, refunded.reason
    assert world.kgst.gateway.balance_of(payer) == 500_00
    assert world.kgst.gateway.balance_of(invoice.pay_address) == 0
    assert world.service.refund(MERCHANT, invoice.invoice_id).status is InvoiceStatus.REFUNDED  # idempotent


def test_underpaid_then_topped_up_settles(world: MerchantWorld) -> None:
    world.fund_payer("pensioner", 500_00)
    invoice = world.service.create(MERCHANT, "k", WALLET, PRICE, "KGST")
    world.kgst.send_tokens("pensioner", invoice.pay_address, 300_00)
    world.settle(4)
    under = world.service.invoice(invoice.invoice_id)
    assert under.status is InvoiceStatus.UNDERPAID and "50 more" not in under.reason and "5000 more" in under.reason
    world.kgst.send_tokens("pensioner", invoice.pay_address, 50_00)
    world.settle()
    settled_once(world, invoice)


def test_underpaid_at_expiry_is_refunded_not_settled(world: MerchantWorld) -> None:
    payer = world.fund_payer("pensioner", 500_00)
    invoice = world.service.create(MERCHANT, "k", WALLET, PRICE, "KGST", expires_in_s=600)
    world.kgst.send_tokens("pensioner", invoice.pay_address, 300_00)
    world.settle(4)
    world.clock.advance(600 + 121)
    world.settle(1)
    due = world.service.invoice(invoice.invoice_id)
    assert due.status is InvoiceStatus.REFUND_DUE and "received 30000 of 35000" in due.reason
    world.service.refund(MERCHANT, invoice.invoice_id)
    world.settle(4)
    assert world.service.invoice(invoice.invoice_id).status is InvoiceStatus.REFUNDED
    assert world.kgst.gateway.balance_of(payer) == 500_00
    assert world.kgst.balance_tyiyn("merchant") == OPENING_TYIYN


def test_an_overpayment_settles_the_price_and_returns_the_excess(world: MerchantWorld) -> None:
    payer = world.fund_payer("pensioner", 500_00)
    invoice = world.service.create(MERCHANT, "k", WALLET, PRICE, "KGST")
    world.kgst.send_tokens("pensioner", invoice.pay_address, 400_00)
    world.settle(10)
    settled_once(world, invoice)
    refunds = [m for m in world.service.moves(invoice.invoice_id) if m.kind is MoveKind.REFUND]
    assert [(m.to, m.amount_units, m.state) for m in refunds] == [(payer, 50_00, MoveState.CONFIRMED)]
    assert world.kgst.gateway.balance_of(payer) == 500_00 - PRICE
    assert world.kgst.gateway.balance_of(invoice.pay_address) == 0


def test_a_payment_in_an_unlisted_token_is_not_counted(world: MerchantWorld, artifact: Artifact) -> None:
    owner = world.kgst.keys["owner"]
    sender = Transactor(world.chain, owner)
    other = deploy_kgst(sender, artifact, "Other Som", "OSOM", 2, KgstRoles.all_to(owner.address))
    abi = artifact.abi
    sender.send(other.address, abi.fn("configureMinter").encode(owner.address, 10**9))
    sender.send(other.address, abi.fn("mint").encode(owner.address, 10**6))
    invoice = world.service.create(MERCHANT, "k", WALLET, PRICE, "KGST")
    sender.send(other.address, abi.fn("transfer").encode(invoice.pay_address, PRICE))
    world.settle()
    assert world.service.invoice(invoice.invoice_id).status is InvoiceStatus.OPEN
    assert world.service.payments(invoice.invoice_id) == []
    assert world.kgst.balance_tyiyn("merchant") == OPENING_TYIYN


def test_a_reorg_that_removes_a_payment_before_depth_counts_nothing(world: MerchantWorld) -> None:
    assert isinstance(world.chain, EmbeddedChain)
    payer = world.fund_payer("pensioner", 500_00)
    invoice = world.service.create(MERCHANT, "k", WALLET, PRICE, "KGST")
    fork = world.chain.snapshot()
    world.kgst.send_tokens("pensioner", invoice.pay_address, PRICE)
    world.chain.mine(1)  # one confirmation of three
    world.service.process()
    world.chain.revert(fork)  # the payment's block leaves the chain
    world.settle()
    gone = world.service.invoice(invoice.invoice_id)
    assert gone.status is InvoiceStatus.OPEN and gone.received_units == 0
    assert world.kgst.gateway.balance_of(payer) == 500_00
    assert world.kgst.balance_tyiyn("merchant") == OPENING_TYIYN
    world.kgst.send_tokens("pensioner", invoice.pay_address, PRICE)  # paid again on the new chain
    world.settle()
    settled_once(world, invoice)


def test_a_screened_payer_stops_the_invoice_and_nothing_moves(world: MerchantWorld) -> None:
    payer = world.fund_payer("pensioner", 500_00)
    world.screener.listed.add(payer)
    invoice = world.service.create(MERCHANT, "k", WALLET, PRICE, "KGST")
    world.kgst.send_tokens("pensioner", invoice.pay_address, PRICE)
    world.settle()
    stopped = world.service.invoice(invoice.invoice_id)
    assert stopped.status is InvoiceStatus.STOPPED and "stopped by screening" in stopped.reason
    assert world.service.moves(invoice.invoice_id) == []
    assert world.kgst.gateway.balance_of(invoice.pay_address) == PRICE  # held, not lost
    assert world.kgst.balance_tyiyn("merchant") == OPENING_TYIYN
    with pytest.raises(RefundRefused):
        world.service.refund(MERCHANT, invoice.invoice_id)
