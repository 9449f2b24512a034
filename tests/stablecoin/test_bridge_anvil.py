"""The bridge against KGST on a real node (anvil, chain id 56), two confirmations deep:
mint, transfer, redeem, and a reorg (evm_snapshot / evm_revert + mining) of a redemption."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digisom.chain.contracts import Artifact
from digisom.chain.rpc import RpcChain
from digisom.stablecoin.model import Kind, State
from tests.stablecoin.world import OPENING_TYIYN, World

pytestmark = pytest.mark.anvil
CONFIRMATIONS = 2


@pytest.fixture
def anvil_world(tmp_path: Path, anvil_chain: RpcChain, artifact: Artifact) -> Iterator[World]:
    built = World(tmp_path, anvil_chain, artifact, confirmations=CONFIRMATIONS)
    try:
        yield built
    finally:
        built.close()


def mine(world: World, blocks: int = 1) -> None:
    chain = world.chain
    assert isinstance(chain, RpcChain)
    for _ in range(blocks):
        chain.request("evm_mine", [])


def redemptions(world: World) -> list[State]:
    return [op.state for op in world.bridge.operations() if op.kind is Kind.REDEEM]


def test_mint_transfer_redeem_on_anvil(anvil_world: World) -> None:
    world = anvil_world
    assert world.bridge.chain_id == 56
    op = world.bridge.request_mint("anvil", "pensioner", world.address("pensioner"), 300_00)
    # the allowance transaction may still be settling on the node; the next round sends the mint
    assert op.state in (State.PENDING_IN_LEDGER, State.SENT)
    assert world.bridge.process().mint_in_flight_tyiyn == 300_00
    assert world.bridge.operation("mint|anvil").state is State.SENT  # mined, one confirmation of two
    mine(world)
    report = world.bridge.process()
    assert world.bridge.operation("mint|anvil").state is State.POSTED
    assert report.supply_tyiyn == report.reserve_tyiyn == 300_00

    world.send_tokens("pensioner", world.address("merchant"), 120_00)
    world.bridge.link_address("merchant", world.address("merchant"))
    world.send_tokens("merchant", world.gateway.redemption_address, 20_00)
    world.bridge.process()
    assert redemptions(world) == []  # one confirmation: not yet seen
    mine(world)
    world.bridge.process()
    assert redemptions(world) == [State.SENT]  # burn mined, waiting for its second confirmation
    mine(world)
    report = world.bridge.process()
    assert redemptions(world) == [State.POSTED]
    assert world.balance_tyiyn("merchant") == OPENING_TYIYN + 20_00
    assert report.balanced and report.supply_tyiyn == report.reserve_tyiyn == 280_00


def test_a_reorg_on_anvil_forgets_an_orphaned_redemption(anvil_world: World) -> None:
    world = anvil_world
    world.bridge.request_mint("anvil", "pensioner", world.address("pensioner"), 50_00)
    mine(world)
    world.bridge.process()
    chain = world.chain
    assert isinstance(chain, RpcChain)
    fork = chain.request("evm_snapshot", [])
    world.send_tokens("pensioner", world.gateway.redemption_address, 5_00)  # not linked: recorded, unmatched
    mine(world)
    world.bridge.process()
    assert redemptions(world) == [State.UNMATCHED]
    chain.request("evm_revert", [fork])
    mine(world, 3)  # a longer chain without the transfer
    report = world.bridge.process()
    assert redemptions(world) == []
    assert report.balanced and report.supply_tyiyn == 50_00


def test_a_stuck_mint_is_replaced_on_anvil(anvil_world: World) -> None:
    world = anvil_world
    chain = world.chain
    assert isinstance(chain, RpcChain)
    chain.request("evm_setAutomine", [False])
    try:
        op = world.bridge.request_mint("stuck", "pensioner", world.address("pensioner"), 80_00)
        assert op.state is State.PENDING_IN_LEDGER  # the allowance transaction waits in the pool
        mine(world)
        world.bridge.process()
        stuck = world.bridge.operation("mint|stuck")
        assert stuck.state is State.SENT
        bumped = world.bridge.bump("mint|stuck")  # the node takes the replacement: same nonce, fees +12%
        assert (bumped.nonce, bumped.tx_hash != stuck.tx_hash) == (stuck.nonce, True)
        mine(world, CONFIRMATIONS)
        report = world.bridge.process()
    finally:
        chain.request("evm_setAutomine", [True])
    assert world.bridge.operation("mint|stuck").state is State.POSTED
    assert chain.receipt(stuck.tx_hash or "") is None
    assert report.supply_tyiyn == report.reserve_tyiyn == 80_00
