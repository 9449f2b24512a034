"""Fixtures of the bridge tests: KGST compiled once, a fresh world per test on the in-process
EVM, and a real anvil node for the tests marked `anvil`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from digisom.chain.contracts import Artifact, kgst_artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.chain.rpc import RpcChain
from digisom.devtools.anvil import AnvilUnavailable, start_anvil
from tests.stablecoin.world import ROLES, World, role_key

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


ANVIL_FLAGS = ("--hardfork", "cancun", "--silent")
FUNDING_WEI = 10**21


@pytest.fixture(scope="session")
def anvil_node() -> Iterator[str]:
    """A real node (chain id 56) for the session; with CI=true a node that cannot start fails the run."""
    try:
        with start_anvil(CHAIN_ID, ANVIL_FLAGS) as url:
            yield url
    except AnvilUnavailable as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"anvil is required in CI: {error}")
        pytest.skip(f"anvil unavailable: {error}")


@pytest.fixture
def anvil_chain(anvil_node: str) -> Iterator[RpcChain]:
    """The node, rewound after the test (evm_snapshot / evm_revert), with every role funded."""
    rpc = RpcChain.connect(anvil_node)
    snapshot = rpc.request("evm_snapshot", [])
    for role in ROLES:
        rpc.request("anvil_setBalance", [role_key(role).address, hex(FUNDING_WEI)])
    try:
        yield rpc
    finally:
        rpc.request("evm_revert", [snapshot])
