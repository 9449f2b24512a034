"""Fixtures of the bridge tests: KGST compiled once, a fresh world per test on the in-process EVM."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from digisom.chain.contracts import Artifact, kgst_artifact
from digisom.chain.embedded import EmbeddedChain
from tests.stablecoin.world import World

CHAIN_ID = 56


@pytest.fixture(scope="session")
def artifact() -> Artifact:
    return kgst_artifact()


@pytest.fixture
def chain() -> EmbeddedChain:
    return EmbeddedChain(CHAIN_ID)


@pytest.fixture
def world(tmp_path: Path, chain: EmbeddedChain, artifact: Artifact) -> Iterator[World]:
    built = World(tmp_path, chain, artifact)
    try:
        yield built
    finally:
        built.close()
