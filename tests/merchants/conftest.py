"""Fixtures of the merchant-invoice tests: a fresh world per test on the in-process EVM;
KGST's artifact, the chain and the anvil node are tests/stablecoin/conftest.py's fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digisom.chain.contracts import Artifact
from digisom.chain.embedded import EmbeddedChain
from tests.merchants.world import MerchantWorld
from tests.stablecoin.conftest import anvil_chain, anvil_node, artifact, chain

__all__ = ["anvil_chain", "anvil_node", "artifact", "chain"]


@pytest.fixture
def world(tmp_path: Path, chain: EmbeddedChain, artifact: Artifact) -> Iterator[MerchantWorld]:
    built = MerchantWorld(tmp_path, chain, artifact)
    try:
        yield built
    finally:
        built.close()
