"""Anchoring the transparency log on an EVM chain: a transaction from the log's chain key
to itself whose calldata is the 32-byte digest of a signed tree head (no contract: any
EVM chain takes it, and the digest is in the transaction itself, forever).

The anchor is published with the raw signed transaction: anyone recomputes its hash
(keccak of the raw bytes), reads the digest and the chain id from it, and asks any node
of that chain for its receipt, without trusting the log's server for any of it."""

from __future__ import annotations

from typing import Final

from eth_utils.crypto import keccak

from digisom.chain.errors import ChainError
from digisom.chain.protocol import Chain
from digisom.chain.transactor import Transactor, signed_from_raw, status

DIGEST_BYTES: Final = 32


class ChainAnchorer:
    """Puts digests on `transactor`'s chain and waits for `confirmations` (the
    transparency domain's `Anchorer` port)."""

    def __init__(self, transactor: Transactor, confirmations: int = 1) -> None:
        self._transactor = transactor
        self._confirmations = confirmations

    def anchor(self, digest: bytes) -> tuple[int, str, bytes, int]:
        """(chain id, transaction hash, raw transaction, block number) of the mined anchor."""
        if len(digest) != DIGEST_BYTES:
            raise ValueError("an anchor carries a 32-byte digest")
        signed = self._transactor.send(self._transactor.address, digest)
        receipt = self._transactor.wait(signed.tx_hash, self._confirmations)
        return self._transactor.chain.chain_id(), signed.tx_hash, signed.raw, receipt.block_number


def check_anchor(chain: Chain, chain_id: int, tx_hash: str, raw_tx: bytes, digest: bytes,
                 block_number: int) -> str | None:
    """None if `raw_tx` is a transaction with hash `tx_hash` whose calldata is `digest`,
    signed for `chain_id`, mined successfully in block `block_number` of `chain` (the block
    still on the chain); otherwise what is wrong."""
    if "0x" + keccak(raw_tx).hex() != tx_hash.lower():
        return f"anchor {tx_hash}: the raw transaction does not hash to it"
    try:
        decoded = signed_from_raw(raw_tx)
    except (ValueError, TypeError, KeyError) as error:
        return f"anchor {tx_hash}: not a signed transaction ({error})"
    if decoded.data != digest:
        return f"anchor {tx_hash}: its calldata is not the tree head's digest"
    try:
        if chain.chain_id() != chain_id:
            return f"anchor {tx_hash}: published for chain {chain_id}, the node is chain {chain.chain_id()}"
        found = status(chain, tx_hash, 1)
    except ChainError as error:
        return f"anchor {tx_hash}: the chain could not be read ({error})"
    if found.receipt is None:
        return f"anchor {tx_hash}: not on the chain"
    if not found.receipt.success:
        return f"anchor {tx_hash}: reverted on the chain"
    if found.receipt.block_number != block_number:
        return f"anchor {tx_hash}: mined in block {found.receipt.block_number}, published as {block_number}"
    return None
