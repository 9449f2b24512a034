"""What the chain adapter hands out: blocks, logs, receipts, signed transactions.
Frozen records; addresses are checksummed strings, hashes 0x-prefixed hex strings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BlockRef:
    """A block's place in the chain: number, hash and parent hash."""

    number: int
    hash: str
    parent_hash: str


@dataclass(frozen=True, slots=True)
class Log:
    """One event log, with where it sits. `(tx_hash, log_index)` names it uniquely."""

    address: str
    topics: tuple[bytes, ...]
    data: bytes
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int


@dataclass(frozen=True, slots=True)
class Receipt:
    """A mined transaction's outcome."""

    tx_hash: str
    block_number: int
    block_hash: str
    success: bool
    gas_used: int
    logs: tuple[Log, ...]
    contract_address: str | None = None


@dataclass(frozen=True, slots=True)
class TxRequest:
    """A transaction to sign: target (None to deploy), calldata, and gas limit."""

    to: str | None
    data: bytes
    gas: int
    value: int = 0


@dataclass(frozen=True, slots=True)
class Fees:
    """EIP-1559 fees in wei per gas."""

    max_fee_per_gas_wei: int
    max_priority_fee_per_gas_wei: int

    def bumped(self, percent: int) -> Fees:
        """Both fees raised by `percent` (rounded up): what a node asks to replace a transaction."""
        return Fees(
            -(-self.max_fee_per_gas_wei * (100 + percent) // 100),
            -(-self.max_priority_fee_per_gas_wei * (100 + percent) // 100),
        )


@dataclass(frozen=True, slots=True)
class SignedTx:
    """A signed transaction: kept before it is broadcast, so a restart sends the same one."""

    tx_hash: str
    nonce: int
    raw: bytes
    sender: str
    fees: Fees
