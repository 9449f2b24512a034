"""Chain adapter fixtures, shared with the bridge tests: KGST compiled once, the anvil node;
and for USDKG two chains at once (ids 1 and 56), in process or as two anvil nodes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from digisom.chain.embedded import EmbeddedChain
from digisom.chain.protocol import Chain
from digisom.chain.rpc import RpcChain
from digisom.devtools.anvil import AnvilUnavailable, start_anvil
from tests.chain.usdkg_world import FUNDING_WEI, ROLES, role_key
from tests.stablecoin.conftest import ANVIL_FLAGS, anvil_chain, anvil_node, artifact

__all__ = ["anvil_chain", "anvil_node", "anvil_pair", "artifact", "two_chains"]

CHAIN_IDS = (1, 56)  # Ethereum and BNB Chain: where USDKG's ERC-20 and a BEP-20 copy would live


@pytest.fixture(scope="session")
def anvil_pair() -> Iterator[dict[int, str]]:
    """Two anvil nodes for the session, chain ids 1 and 56; with CI=true one that cannot start fails the run."""
    try:
        with ExitStack() as stack:
            yield {chain_id: stack.enter_context(start_anvil(chain_id, ANVIL_FLAGS)) for chain_id in CHAIN_IDS}
    except AnvilUnavailable as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"anvil is required in CI: {error}")
        pytest.skip(f"anvil unavailable: {error}")


@pytest.fixture(params=["embedded", pytest.param("anvil", marks=pytest.mark.anvil)])
def two_chains(request: pytest.FixtureRequest) -> Iterator[dict[int, Chain]]:
    """Chains 1 and 56 with every USDKG role funded; anvil's are rewound after the test."""
    if request.param == "embedded":
        embedded = {chain_id: EmbeddedChain(chain_id) for chain_id in CHAIN_IDS}
        for chain in embedded.values():
            for role in ROLES:
                chain.fund(role_key(role).address, FUNDING_WEI)
        yield dict(embedded)
        return
    urls: dict[int, str] = request.getfixturevalue("anvil_pair")
    nodes = {chain_id: RpcChain.connect(url) for chain_id, url in urls.items()}
    snapshots = {chain_id: node.request("evm_snapshot", []) for chain_id, node in nodes.items()}
    for node in nodes.values():
        for role in ROLES:
            node.request("anvil_setBalance", [role_key(role).address, hex(FUNDING_WEI)])
    try:
        yield dict(nodes)
    finally:
        for chain_id, node in nodes.items():
            node.request("evm_revert", [snapshots[chain_id]])
