"""`Chain`: what the rest of the system needs from an EVM chain, whichever node runs it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from digisom.chain.model import BlockRef, Fees, Log, Receipt, TxRequest


class Chain(Protocol):
    """An EVM chain: reads, simulations, raw transactions, receipts, blocks and logs."""

    def chain_id(self) -> int:
        """The chain id (56 on BNB Chain, 97 on its testnet); signatures are bound to it."""
        ...

    def block_number(self) -> int:
        """The newest block's number."""
        ...

    def block(self, number: int) -> BlockRef | None:
        """The canonical block at `number`, or None past the head."""
        ...

    def call(self, to: str, data: bytes, sender: str | None = None) -> bytes:
        """Run a read-only call at the newest block; `TransactionReverted` if it reverts."""
        ...

    def estimate_gas(self, sender: str, tx: TxRequest) -> int:
        """Simulate `tx` from `sender` at the newest block and return its gas;
        `TransactionReverted` with the revert message if it would fail."""
        ...

    def nonce(self, address: str) -> int:
        """The next nonce of `address`, counting transactions waiting in the node's pool."""
        ...

    def fees(self) -> Fees:
        """Fees a new transaction should offer now."""
        ...

    def broadcast(self, raw: bytes) -> str:
        """Send a signed transaction; returns its hash. Sending one already known is not an error."""
        ...

    def receipt(self, tx_hash: str) -> Receipt | None:
        """The receipt of a mined transaction, or None while it is not (or no longer) mined."""
        ...

    def logs(self, address: str, from_block: int, to_block: int, topic0s: Sequence[bytes]) -> list[Log]:
        """Logs of `address` in the block range (inclusive) whose first topic is one of `topic0s`."""
        ...
