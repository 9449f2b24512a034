"""The bridge's tables and the ledger on PostgreSQL: mint, redeem, a crash and a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from digisom.chain.contracts import Artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.stablecoin.model import Kind, State
from tests.stablecoin.test_crash import Crash, crash_at
from tests.stablecoin.world import OPENING_TYIYN, World

pytestmark = pytest.mark.postgres


def test_mint_crash_restart_and_redeem_on_postgres(tmp_path: Path, postgres_url: str, artifact: Artifact) -> None:
    world = World(tmp_path, EmbeddedChain(56), artifact, url=postgres_url)
    try:
        bridge = world.make_bridge(observer=crash_at(Kind.MINT, "sent"))
        with pytest.raises(Crash):
            bridge.request_mint("pg", "pensioner", world.address("pensioner"), 70_00)
        world.restart().process()
        assert world.bridge.operation("mint|pg").state is State.POSTED
        world.bridge.link_address("pensioner", world.address("pensioner"))
        world.send_tokens("pensioner", world.gateway.redemption_address, 30_00)
        report = world.bridge.process()
        assert [op.state for op in world.bridge.operations() if op.kind is Kind.REDEEM] == [State.POSTED]
        assert world.balance_tyiyn("pensioner") == OPENING_TYIYN - 40_00
        assert report.balanced and report.supply_tyiyn == report.reserve_tyiyn == 40_00
    finally:
        world.close()
