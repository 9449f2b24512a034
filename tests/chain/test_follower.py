"""The event follower through reorgs, on the in-process EVM (revert + mine = a reorg)."""

from __future__ import annotations

from pathlib import Path

import pytest

from digisom.chain.contracts import Artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.chain.follower import CURSOR_BLOCKS_KEPT, ReorgTooDeep
from digisom.stablecoin.ports import BlockMark, IncomingTransfer
from digisom.stablecoin.repository import CursorRepository
from tests.stablecoin.world import World


class Recorder:
    def __init__(self) -> None:
        self.seen: list[IncomingTransfer] = []
        self.rollbacks: list[int] = []

    def on_transfer(self, transfer: IncomingTransfer) -> None:
        self.seen.append(transfer)

    def on_rollback(self, block: int) -> None:
        self.rollbacks.append(block)
        self.seen = [t for t in self.seen if t.block_number <= block]


def test_a_reorg_rolls_back_to_the_fork_point_and_re_emits(tmp_path: Path, artifact: Artifact) -> None:
    chain = EmbeddedChain(56)
    world = World(tmp_path, chain, artifact)
    try:
        world.bridge.request_mint("m", "pensioner", world.address("pensioner"), 100_00)
        cursor = CursorRepository(world.engine, world.token_key + "/recorder")
        feed = world.gateway.redemptions(cursor, 1, world.deployment.block_number)
        recorder = Recorder()
        fork = chain.snapshot()
        fork_block = chain.block_number()
        world.send_tokens("pensioner", world.gateway.redemption_address, 10_00)
        feed.poll(recorder.on_transfer, recorder.on_rollback)
        assert [t.amount_token_units for t in recorder.seen] == [10_00]
        orphaned = recorder.seen[0]

        chain.revert(fork)  # the block with the 10 som transfer leaves the chain...
        world.send_tokens("pensioner", world.gateway.redemption_address, 7_00)  # ...another takes its place
        chain.mine(2)
        feed.poll(recorder.on_transfer, recorder.on_rollback)
        assert len(recorder.rollbacks) == 1
        assert recorder.rollbacks[0] <= fork_block  # the newest remembered block still on the chain
        assert [t.amount_token_units for t in recorder.seen] == [7_00]
        assert recorder.seen[0].tx_hash != orphaned.tx_hash

        feed.poll(recorder.on_transfer, recorder.on_rollback)  # nothing new, nothing twice
        assert len(recorder.seen) == 1
    finally:
        world.close()


def test_logs_wait_for_their_confirmations(tmp_path: Path, artifact: Artifact) -> None:
    chain = EmbeddedChain(56)
    world = World(tmp_path, chain, artifact)
    try:
        world.bridge.request_mint("m", "pensioner", world.address("pensioner"), 100_00)
        cursor = CursorRepository(world.engine, world.token_key + "/recorder")
        feed = world.gateway.redemptions(cursor, 3, world.deployment.block_number)
        recorder = Recorder()
        world.send_tokens("pensioner", world.gateway.redemption_address, 10_00)
        feed.poll(recorder.on_transfer, recorder.on_rollback)
        assert recorder.seen == []
        chain.mine(2)
        feed.poll(recorder.on_transfer, recorder.on_rollback)
        assert len(recorder.seen) == 1
    finally:
        world.close()


def test_a_reorged_unpaid_redemption_is_forgotten(tmp_path: Path, artifact: Artifact) -> None:
    chain = EmbeddedChain(56)
    world = World(tmp_path, chain, artifact)
    try:
        world.bridge.request_mint("m", "pensioner", world.address("pensioner"), 100_00)
        fork = chain.snapshot()
        world.send_tokens("pensioner", world.gateway.redemption_address, 10_00)  # not linked: unmatched
        world.bridge.process()
        assert [op.state.value for op in world.bridge.operations() if op.kind.value == "redeem"] == ["unmatched"]
        chain.revert(fork)
        chain.mine(2)
        report = world.bridge.process()
        assert [op for op in world.bridge.operations() if op.kind.value == "redeem"] == []
        assert report.balanced and report.supply_tyiyn == 100_00
    finally:
        world.close()


def test_a_reorg_deeper_than_the_follower_remembers_stops_it(tmp_path: Path, artifact: Artifact) -> None:
    chain = EmbeddedChain(56)
    world = World(tmp_path, chain, artifact)
    try:
        chain.mine(CURSOR_BLOCKS_KEPT + 2)
        cursor = CursorRepository(world.engine, world.token_key + "/deep")
        for number in range(1, CURSOR_BLOCKS_KEPT + 1):  # a whole window of blocks the chain never had
            cursor.remember(BlockMark(number, "0x" + "ab" * 32, "0x" + "cd" * 32), CURSOR_BLOCKS_KEPT)
        feed = world.gateway.redemptions(cursor, 1, world.deployment.block_number)
        recorder = Recorder()
        with pytest.raises(ReorgTooDeep):
            feed.poll(recorder.on_transfer, recorder.on_rollback)
        assert recorder.rollbacks == []
    finally:
        world.close()
