"""Signing and sending: nonces, fee bumps, receipts at a confirmation depth, deployment.

A transaction is signed first and kept (`SignedTx`), then broadcast: whoever records
the signed transaction before broadcasting it can send the very same one again after a
crash, and a nonce is never spent twice on one intent. A stuck transaction is replaced
by `bump()`: same nonce, same calldata, higher fees; whichever of the two is mined is
the outcome.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Final

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from digisom.chain.errors import ChainError, TransactionReverted
from digisom.chain.model import Fees, Receipt, SignedTx, TxRequest
from digisom.chain.protocol import Chain

# Headroom over the estimate: state can change between estimate and inclusion.
GAS_HEADROOM_PERCENT: Final = 25
# Geth and anvil ask at least 10% more for a replacement; 12 leaves room for rounding.
FEE_BUMP_PERCENT: Final = 12
WAIT_POLL_S: Final = 0.2
WAIT_TIMEOUT_S: Final = 120.0


class TxState(Enum):
    """Where a transaction stands, seen from a confirmation depth."""

    UNKNOWN = "unknown"  # not mined (waiting in a pool, dropped, or reorged out)
    MINED = "mined"  # mined, fewer confirmations than asked
    CONFIRMED = "confirmed"  # mined successfully with enough confirmations
    REVERTED = "reverted"  # mined, reverted, with enough confirmations


@dataclass(frozen=True, slots=True)
class TxStatus:
    """A transaction's state and, once mined, its receipt and confirmations."""

    state: TxState
    receipt: Receipt | None = None
    confirmations: int = 0


class TransactionTimeout(ChainError):
    """A transaction did not reach its confirmation depth in time (it may be stuck)."""


def sign(key: LocalAccount, chain_id: int, tx: TxRequest, nonce: int, fees: Fees) -> SignedTx:
    """A signed EIP-1559 transaction."""
    fields: dict[str, object] = {
        "type": 2, "chainId": chain_id, "nonce": nonce, "data": tx.data, "value": tx.value, "gas": tx.gas,
        "maxFeePerGas": fees.max_fee_per_gas_wei, "maxPriorityFeePerGas": fees.max_priority_fee_per_gas_wei,
    }
    if tx.to is not None:
        fields["to"] = tx.to
    signed = key.sign_transaction(fields)  # type: ignore[arg-type]
    return SignedTx("0x" + bytes(signed.hash).hex(), nonce, bytes(signed.raw_transaction), key.address, fees)


@dataclass(frozen=True, slots=True)
class DecodedTx:
    """A signed transaction read back from its raw bytes."""

    tx: SignedTx
    gas: int
    to: str | None
    data: bytes


def signed_from_raw(raw: bytes) -> DecodedTx:
    """Decode a signed EIP-1559 transaction (to replace it with the same nonce)."""
    fields = TypedTransaction.from_bytes(HexBytes(raw)).as_dict()
    sender = to_checksum_address(Account.recover_transaction(raw))
    fees = Fees(int(fields["maxFeePerGas"]), int(fields["maxPriorityFeePerGas"]))
    signed = SignedTx("0x" + keccak(raw).hex(), int(fields["nonce"]), raw, sender, fees)
    to = fields.get("to")
    return DecodedTx(signed, int(fields["gas"]), to_checksum_address(to) if to else None, bytes(fields["data"]))


def status(chain: Chain, tx_hash: str, confirmations: int) -> TxStatus:
    """`tx_hash` seen from `confirmations` deep; a receipt whose block left the chain counts as unknown."""
    receipt = chain.receipt(tx_hash)
    if receipt is None:
        return TxStatus(TxState.UNKNOWN)
    block = chain.block(receipt.block_number)
    if block is None or block.hash != receipt.block_hash:
        return TxStatus(TxState.UNKNOWN)
    depth = chain.block_number() - receipt.block_number + 1
    if depth < confirmations:
        return TxStatus(TxState.MINED, receipt, depth)
    return TxStatus(TxState.CONFIRMED if receipt.success else TxState.REVERTED, receipt, depth)


def first_settled(chain: Chain, tx_hashes: Sequence[str], confirmations: int) -> TxStatus:
    """The status of whichever of `tx_hashes` (attempts with one nonce) got furthest."""
    best = TxStatus(TxState.UNKNOWN)
    for tx_hash in tx_hashes:
        found = status(chain, tx_hash, confirmations)
        if found.state in (TxState.CONFIRMED, TxState.REVERTED):
            return found
        if found.state is TxState.MINED:
            best = found
    return best


class Transactor:
    """Sends transactions from one key on one chain."""

    def __init__(self, chain: Chain, key: LocalAccount, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.chain = chain
        self.key = key
        self._sleep = sleep
        self._clock = clock

    @property
    def address(self) -> str:
        """The sending address."""
        return str(self.key.address)

    def prepare(self, to: str | None, data: bytes, nonce: int | None = None) -> SignedTx:
        """Simulate and sign a transaction (not sent yet); `TransactionReverted` if it would fail."""
        estimate = self.chain.estimate_gas(self.address, TxRequest(to, data, 0))
        gas = estimate * (100 + GAS_HEADROOM_PERCENT) // 100
        chosen = self.chain.nonce(self.address) if nonce is None else nonce
        return sign(self.key, self.chain.chain_id(), TxRequest(to, data, gas), chosen, self.chain.fees())

    def bump(self, signed: SignedTx, to: str | None, data: bytes, gas: int) -> SignedTx:
        """The same intent with the same nonce and fees raised by `FEE_BUMP_PERCENT`."""
        current = self.chain.fees()
        raised = signed.fees.bumped(FEE_BUMP_PERCENT)
        fees = Fees(max(raised.max_fee_per_gas_wei, current.max_fee_per_gas_wei),
                    max(raised.max_priority_fee_per_gas_wei, current.max_priority_fee_per_gas_wei))
        return sign(self.key, self.chain.chain_id(), TxRequest(to, data, gas), signed.nonce, fees)

    def send(self, to: str | None, data: bytes) -> SignedTx:
        """Prepare and broadcast."""
        signed = self.prepare(to, data)
        self.chain.broadcast(signed.raw)
        return signed

    def wait(self, tx_hash: str, confirmations: int, timeout_s: float = WAIT_TIMEOUT_S) -> Receipt:
        """Block until `tx_hash` has `confirmations`; `TransactionReverted` if it reverted."""
        deadline = self._clock() + timeout_s
        while True:
            found = status(self.chain, tx_hash, confirmations)
            if found.state is TxState.CONFIRMED and found.receipt is not None:
                return found.receipt
            if found.state is TxState.REVERTED:
                raise TransactionReverted(f"transaction {tx_hash} reverted")
            if self._clock() > deadline:
                raise TransactionTimeout(
                    f"transaction {tx_hash} has {found.confirmations} of {confirmations} confirmations "
                    f"after {timeout_s:.0f} s; replace it with a fee bump if it is stuck"
                )
            self._sleep(WAIT_POLL_S)

    def deploy(self, init_code: bytes, confirmations: int = 1, timeout_s: float = WAIT_TIMEOUT_S) -> str:
        """Deploy a contract and return its address once confirmed."""
        signed = self.send(None, init_code)
        receipt = self.wait(signed.tx_hash, confirmations, timeout_s)
        if receipt.contract_address is None:
            raise ChainError(f"deployment {signed.tx_hash} created no contract")
        return receipt.contract_address
