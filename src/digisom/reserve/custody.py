"""`Custody`: what proposals need from the contract wallet on chain. Its adapter on the
deployed `ReserveMultisig` is `digisom.chain.reserve_multisig.MultisigCustody` (a relayer
key pays the gas; the officers' signatures decide)."""

from __future__ import annotations

from typing import Protocol

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
