"""The same payment on a real node (anvil: real gas, real signatures, real blocks) and the
tables on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from digisom.chain.contracts import Artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.chain.rpc import RpcChain
from digisom.merchants.model import InvoiceStatus
from tests.merchants.test_edge_cases import PRICE, fields
from tests.merchants.world import MERCHANT, WALLET, MerchantWorld
from tests.stablecoin.conftest import FUNDING_WEI
from tests.stablecoin.world import OPENING_TYIYN


def pay_twice_and_settle(world: MerchantWorld) -> None:
    """A plain transfer and an EIP-3009 authorization (gasless for the payer): both settle once."""
    payer = world.fund_payer("pensioner", 1_000_00)
    plain = world.service.create(MERCHANT, "plain", WALLET, PRICE, "KGST")
    gasless = world.service.create(MERCHANT, "gasless", WALLET, PRICE, "KGST")
    world.kgst.send_tokens("pensioner", plain.pay_address, PRICE)
    world.service.submit_authorization(gasless.invoice_id, fields(world, gasless))
    world.settle(10)
    for invoice in (plain, gasless):
        done = world.service.invoice(invoice.invoice_id)
        assert done.status is InvoiceStatus.SETTLED, done.reason
    assert world.kgst.balance_tyiyn("merchant") == OPENING_TYIYN + 2 * PRICE
    assert world.kgst.gateway.balance_of(payer) == 1_000_00 - 2 * PRICE
    assert world.kgst.report().balanced


@pytest.mark.anvil
def test_payments_settle_on_anvil(tmp_path: Path, anvil_chain: RpcChain, artifact: Artifact) -> None:
    world = MerchantWorld(tmp_path, anvil_chain, artifact)
    try:
        anvil_chain.request("anvil_setBalance", [world.relayer_key.address, hex(FUNDING_WEI)])
        pay_twice_and_settle(world)
    finally:
        world.close()


@pytest.mark.postgres
def test_payments_settle_on_postgres(tmp_path: Path, postgres_url: str, artifact: Artifact) -> None:
    world = MerchantWorld(tmp_path, EmbeddedChain(56), artifact, url=postgres_url)
    try:
        pay_twice_and_settle(world)
    finally:
        world.close()
