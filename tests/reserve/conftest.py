"""Fixtures of the reserve tests: the multisig compiled once, owner keys by name, and a
chain on either backend (titanoboa's in-process EVM, or the session's anvil node rewound
after each test)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak

from digisom.chain.contracts import Artifact, reserve_multisig_artifact
from digisom.chain.embedded import BLOCK_TIME_S, EmbeddedChain
from digisom.chain.rpc import RpcChain
from digisom.chain.transactor import Transactor
from tests.stablecoin.conftest import CHAIN_ID, anvil_node

__all__ = ["anvil_node", "backend", "multisig_artifact"]

FUNDING_WEI = 10**21


def key(name: str) -> LocalAccount:
    """A fixed key per name, so a failure reproduces on both backends."""
    return Account.from_key(keccak(text=f"digisom reserve test key {name}"))


@dataclass
class Backend:
    """A chain, a way to fund and read native balances, and a funded relayer."""

    name: str
    chain: EmbeddedChain | RpcChain
    relayer: Transactor

    def fund(self, address: str, amount_wei: int) -> None:
        if isinstance(self.chain, EmbeddedChain):
            self.chain.fund(address, amount_wei)
        else:
            self.chain.request("anvil_setBalance", [address, hex(amount_wei)])

    def advance(self, seconds: int) -> None:
        """Let `seconds` pass on chain (and mine a block at the new time)."""
        if isinstance(self.chain, EmbeddedChain):
            self.chain.mine(-(-seconds // BLOCK_TIME_S))
        else:
            self.chain.request("evm_increaseTime", [seconds])
            self.chain.request("evm_mine", [])

    def balance(self, address: str) -> int:
        if isinstance(self.chain, EmbeddedChain):
            return int(self.chain._env.get_balance(address))
        return int(self.chain.request("eth_getBalance", [address, "latest"]), 16)


@pytest.fixture(scope="session")
def multisig_artifact() -> Artifact:
    return reserve_multisig_artifact()


@pytest.fixture(params=["embedded", pytest.param("anvil", marks=pytest.mark.anvil)])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    relayer = key("relayer")
    if request.param == "embedded":
        embedded = EmbeddedChain(CHAIN_ID)
        built = Backend("embedded", embedded, Transactor(embedded, relayer))
        built.fund(relayer.address, FUNDING_WEI)
        yield built
        return
    rpc = RpcChain.connect(request.getfixturevalue("anvil_node"))
    snapshot = rpc.request("evm_snapshot", [])
    built = Backend("anvil", rpc, Transactor(rpc, relayer))
    built.fund(relayer.address, FUNDING_WEI)
    try:
        yield built
    finally:
        rpc.request("evm_revert", [snapshot])
