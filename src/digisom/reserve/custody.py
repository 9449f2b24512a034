"""`Custody`: what proposals need from the contract wallet on chain, and its adapter on
`MultisigWallet` (the relayer key pays gas; the officers' signatures decide)."""

from __future__ import annotations

from typing import Protocol

from digisom.chain.transactor import Transactor
from digisom.reserve.multisig import MultisigWallet
from digisom.reserve.typed import MultisigTx


class Custody(Protocol):
    """The wallet a policy governs."""

    def chain_id(self) -> int: ...

    def wallet_address(self) -> str: ...

    def nonce(self) -> int:
        """The wallet's next transaction nonce."""
        ...

    def queue(self, tx: MultisigTx, signatures: bytes) -> str:
        """Start `tx`'s time lock on chain; its transaction hash. `MultisigRefused` if refused."""
        ...

    def execute(self, tx: MultisigTx, signatures: bytes) -> str:
        """Run `tx` on chain; its transaction hash. `MultisigRefused` if refused."""
        ...


class MultisigCustody:
    """`Custody` on a deployed `ReserveMultisig`."""

    def __init__(self, wallet: MultisigWallet, relayer: Transactor, confirmations: int = 1) -> None:
        self._wallet = wallet
        self._relayer = relayer
        self._confirmations = confirmations

    def chain_id(self) -> int:
        return self._wallet.chain.chain_id()

    def wallet_address(self) -> str:
        return self._wallet.address

    def nonce(self) -> int:
        return self._wallet.nonce()

    def queue(self, tx: MultisigTx, signatures: bytes) -> str:
        return self._wallet.queue(self._relayer, tx, signatures, self._confirmations).tx_hash

    def execute(self, tx: MultisigTx, signatures: bytes) -> str:
        return self._wallet.execute(self._relayer, tx, signatures, self._confirmations).tx_hash
