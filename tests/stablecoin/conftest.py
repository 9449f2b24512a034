"""Fixtures of the bridge tests: KGST compiled once, a fresh world per test on the in-process
EVM, and a real anvil node for the tests marked `anvil`."""

from __future__ import annotations

import os
import time
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
# How long a broadcast waits for anvil to mine the transaction (a few milliseconds
# normally); a transaction anvil will not mine yet (a nonce gap) is given up on after it.
MINED_WAIT_S = 5.0
MINED_POLL_S = 0.005


class MinedOnBroadcast(RpcChain):
    """anvil with automine answers eth_sendRawTransaction before its miner has put the
    transaction in a block (foundry-rs/foundry#3537), so a step that reads the chain right
    after one that sent could see the state before it: a payer's transfer estimated against
    a mint not yet mined. The tests' steps assume what the in-process EVM does, a block per
    transaction by the time broadcast returns, so here broadcast waits for the receipt
    while automine is on (a test that turns it off mines by hand)."""

    def broadcast(self, raw: bytes) -> str:
        tx_hash = super().broadcast(raw)
        if self.request("anvil_getAutomine", []):
            deadline = time.monotonic() + MINED_WAIT_S
            while self.receipt(tx_hash) is None and time.monotonic() < deadline:
                time.sleep(MINED_POLL_S)
        return tx_hash


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
    rpc = MinedOnBroadcast.connect(anvil_node)
    snapshot = rpc.request("evm_snapshot", [])
    for role in ROLES:
        rpc.request("anvil_setBalance", [role_key(role).address, hex(FUNDING_WEI)])
    try:
        yield rpc
    finally:
        rpc.request("evm_revert", [snapshot])
