"""Fixtures of the merchant-invoice tests: KGST compiled once, a fresh world per test on
the in-process EVM (the anvil node comes from tests/stablecoin/conftest.py's fixtures)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digisom.chain.contracts import Artifact, kgst_artifact
from digisom.chain.embedded import EmbeddedChain
from tests.merchants.world import MerchantWorld
from tests.stablecoin.conftest import anvil_chain, anvil_node

__all__ = ["anvil_chain", "anvil_node"]

CHAIN_ID = 56


@pytest.fixture(scope="session")
def artifact() -> Artifact:
    return kgst_artifact()


@pytest.fixture
def chain() -> EmbeddedChain:
    return EmbeddedChain(CHAIN_ID)


@pytest.fixture
def world(tmp_path: Path, chain: EmbeddedChain, artifact: Artifact) -> Iterator[MerchantWorld]:
    built = MerchantWorld(tmp_path, chain, artifact)
    try:
        yield built
    finally:
        built.close()
