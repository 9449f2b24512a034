"""`EmbeddedChain`: the embedded default, an in-process EVM (titanoboa's `Env` on py-evm).

It accepts the same signed raw transactions as a real node, so everything above it
(nonces, signing, fee bumps, receipts, confirmations) runs the production code path.
Blocks are its own bookkeeping: with `automine` each transaction is mined at once in a
block of its own; without it transactions wait in a pool until `mine()`, which is how
tests make a transaction stuck and replace it. `snapshot()` and `revert()` rewind the
state and the blocks; blocks mined after a revert get new hashes, so a revert followed
by mining is a reorg, as on a real node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import boa
import rlp  # type: ignore[import-untyped]
from eth_account import Account
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from eth_utils.address import to_canonical_address, to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from digisom.chain import restore_recursion_limit
from digisom.chain.abi import revert_reason
from digisom.chain.errors import NonceConflict, RpcError, TransactionReverted
from digisom.chain.model import BlockRef, Fees, Log, Receipt, TxRequest

# titanoboa imports py-evm, which raises the process's recursion limit (package docstring).
restore_recursion_limit()

BLOCK_TIME_S: Final = 3  # BNB Chain's block interval
GAS_LIMIT_BLOCK: Final = 100_000_000
INTRINSIC_GAS: Final = 21_000
# A replacement must raise both fees by at least this much (geth's and anvil's rule).
REPLACEMENT_BUMP_PERCENT_MIN: Final = 10
DEFAULT_FEES: Final = Fees(2_000_000_000, 1_000_000_000)
GENESIS_TIMESTAMP: Final = 1_700_000_000


@dataclass(frozen=True, slots=True)
class _PoolTx:
    tx_hash: str
    sender: str
    nonce: int
    to: str | None
    data: bytes
    value: int
    gas: int
    fees: Fees


@dataclass(frozen=True, slots=True)
class _Outcome:
    success: bool
    gas_used: int
    entries: list[tuple[bytes, tuple[int, ...], bytes]]
    created: str | None


@dataclass(slots=True)
class _Block:
    ref: BlockRef
    receipts: list[Receipt] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A point to `revert()` to."""

    evm_snapshot: Any
    block_count: int
    block_number: int
    timestamp: int


class EmbeddedChain:
    """A `Chain` in this process. Not thread-safe: one owner drives it."""

    def __init__(self, chain_id: int, automine: bool = True) -> None:
        self._env = boa.Env()
        self._env.evm.patch.chain_id = chain_id
        self._env.evm.patch.timestamp = GENESIS_TIMESTAMP
        self._chain_id = chain_id
        self.automine = automine
        self._pool: dict[tuple[str, int], _PoolTx] = {}
        self._fork = 0  # bumped on every revert, so re-mined blocks get new hashes
        genesis = BlockRef(0, "0x" + keccak(b"digisom embedded genesis").hex(), "0x" + bytes(32).hex())
        self._blocks: list[_Block] = [_Block(genesis)]
        self._receipts: dict[str, Receipt] = {}

    # -- reads ------------------------------------------------------------------------

    def chain_id(self) -> int:
        """The chain id the EVM reports (CHAINID opcode) and signatures must carry."""
        return self._chain_id

    def block_number(self) -> int:
        """The newest block's number."""
        return self._blocks[-1].ref.number

    def block(self, number: int) -> BlockRef | None:
        """The block at `number`, or None past the head."""
        return self._blocks[number].ref if 0 <= number < len(self._blocks) else None

    def call(self, to: str, data: bytes, sender: str | None = None) -> bytes:
        """Run a call against the current state and throw its effects away."""
        computation = self._env.execute_code(
            to_address=to, sender=sender or to_checksum_address(bytes(20)), data=data, simulate=True
        )
        if computation.is_error:
            raise TransactionReverted(revert_reason(bytes(computation.output)))
        return bytes(computation.output)

    def estimate_gas(self, sender: str, tx: TxRequest) -> int:
        """Simulate `tx` and return the gas it used plus the intrinsic cost."""
        if tx.to is None:
            return GAS_LIMIT_BLOCK // 10
        computation = self._env.execute_code(
            to_address=tx.to, sender=sender, data=tx.data, value=tx.value, simulate=True
        )
        if computation.is_error:
            raise TransactionReverted(revert_reason(bytes(computation.output)))
        return int(computation.get_gas_used()) + INTRINSIC_GAS

    def nonce(self, address: str) -> int:
        """The account's nonce plus its transactions waiting in the pool."""
        mined = self._state_nonce(address)
        waiting = {nonce for (sender, nonce) in self._pool if sender == to_checksum_address(address)}
        next_nonce = mined
        while next_nonce in waiting:
            next_nonce += 1
        return next_nonce

    def fees(self) -> Fees:
        """A fixed fee offer: the embedded chain charges no gas."""
        return DEFAULT_FEES

    def receipt(self, tx_hash: str) -> Receipt | None:
        """The receipt of a transaction mined in a block still on the chain."""
        return self._receipts.get(tx_hash)

    def logs(self, address: str, from_block: int, to_block: int, topic0s: Sequence[bytes]) -> list[Log]:
        """Logs of `address` in the range whose topic 0 is one of `topic0s`."""
        wanted = {bytes(t) for t in topic0s}
        found = []
        for block in self._blocks[max(from_block, 0) : to_block + 1]:
            for receipt in block.receipts:
                found += [
                    log for log in receipt.logs
                    if log.address == to_checksum_address(address) and log.topics and log.topics[0] in wanted
                ]
        return found

    # -- writes -----------------------------------------------------------------------

    def broadcast(self, raw: bytes) -> str:
        """Take a signed type-2 transaction into the pool (and mine it with `automine`)."""
        tx_hash = "0x" + keccak(raw).hex()
        if tx_hash in self._receipts or any(p.tx_hash == tx_hash for p in self._pool.values()):
            return tx_hash
        pooled = self._decode(raw, tx_hash)
        if pooled.value > self._env.get_balance(pooled.sender):
            raise RpcError(f"insufficient funds for value: {pooled.sender}", code=-32000)
        if pooled.nonce < self._state_nonce(pooled.sender):
            raise NonceConflict(f"nonce too low: {pooled.nonce} of {pooled.sender} is used")
        waiting = self._pool.get((pooled.sender, pooled.nonce))
        if waiting is not None and not _replaces(pooled.fees, waiting.fees):
            raise RpcError("replacement transaction underpriced", code=-32000)
        self._pool[(pooled.sender, pooled.nonce)] = pooled
        if self.automine:
            self.mine()
        return tx_hash

    def mine(self, blocks: int = 1) -> None:
        """Mine `blocks` blocks; the first takes every pooled transaction whose nonce is due."""
        for _ in range(blocks):
            self._mine_one()

    def snapshot(self) -> Snapshot:
        """The state and the chain as they are now."""
        patch = self._env.evm.patch
        return Snapshot(self._env.evm.snapshot(), len(self._blocks), int(patch.block_number), int(patch.timestamp))

    def revert(self, snapshot: Snapshot) -> None:
        """Rewind to `snapshot`: later blocks and their receipts disappear (a reorg's first half)."""
        self._env.evm.revert(snapshot.evm_snapshot)
        for block in self._blocks[snapshot.block_count :]:
            for receipt in block.receipts:
                self._receipts.pop(receipt.tx_hash, None)
        del self._blocks[snapshot.block_count :]
        self._env.evm.patch.block_number = snapshot.block_number
        self._env.evm.patch.timestamp = snapshot.timestamp
        self._pool.clear()
        self._fork += 1

    def balance(self, address: str) -> int:
        """The native coin `address` holds now."""
        return int(self._env.get_balance(address))

    def fund(self, address: str, amount_wei: int) -> None:
        """Give `address` native coin (the embedded chain charges no gas, but balances show)."""
        self._env.set_balance(address, amount_wei)

    # -- internals --------------------------------------------------------------------

    def _state_nonce(self, address: str) -> int:
        return int(self._env.evm.vm.state.get_nonce(to_canonical_address(address)))

    def _decode(self, raw: bytes, tx_hash: str) -> _PoolTx:
        try:
            typed = TypedTransaction.from_bytes(HexBytes(raw))
            fields = typed.as_dict()
            sender = to_checksum_address(Account.recover_transaction(raw))
        except Exception as error:  # any undecodable input is the caller's error
            raise RpcError(f"cannot decode transaction: {error}", code=-32602) from None
        if int(fields["chainId"]) != self._chain_id:
            raise RpcError(f"transaction for chain {fields['chainId']}, this is chain {self._chain_id}", code=-32000)
        to = fields.get("to")
        return _PoolTx(
            tx_hash, sender, int(fields["nonce"]), to_checksum_address(to) if to else None, bytes(fields["data"]),
            int(fields["value"]), int(fields["gas"]),
            Fees(int(fields["maxFeePerGas"]), int(fields["maxPriorityFeePerGas"])),
        )

    def _mine_one(self) -> None:
        parent = self._blocks[-1].ref
        number = parent.number + 1
        self._env.evm.patch.block_number = number
        self._env.evm.patch.timestamp = int(self._env.evm.patch.timestamp) + BLOCK_TIME_S
        executed: list[tuple[_PoolTx, _Outcome]] = []
        progress = True
        while progress:  # a sender's later nonces become due as its earlier ones execute
            progress = False
            for key, pooled in sorted(self._pool.items(), key=lambda item: item[0]):
                if pooled.nonce == self._state_nonce(pooled.sender):
                    del self._pool[key]
                    executed.append((pooled, self._execute(pooled)))
                    progress = True
        seed = parent.hash.encode() + number.to_bytes(8, "big") + self._fork.to_bytes(8, "big")
        block_hash = "0x" + keccak(seed + b"".join(p.tx_hash.encode() for p, _ in executed)).hex()
        block = _Block(BlockRef(number, block_hash, parent.hash))
        log_index = 0
        for pooled, outcome in executed:
            receipt = _receipt(pooled, outcome, block.ref, log_index)
            log_index += len(receipt.logs)
            block.receipts.append(receipt)
            self._receipts[pooled.tx_hash] = receipt
        self._blocks.append(block)

    def _execute(self, pooled: _PoolTx) -> _Outcome:
        state = self._env.evm.vm.state
        sender = to_canonical_address(pooled.sender)
        nonce = int(state.get_nonce(sender))
        if pooled.to is None:
            address = to_checksum_address(keccak(rlp.encode([sender, nonce]))[12:])
            state.increment_nonce(sender)
            computation = self._env.deploy(
                sender=pooled.sender, gas=pooled.gas, value=pooled.value, bytecode=pooled.data,
                override_address=address,
            )[1]
            created: str | None = address if not computation.is_error else None
        else:
            state.increment_nonce(sender)
            computation = self._env.execute_code(
                to_address=pooled.to, sender=pooled.sender, gas=pooled.gas, value=pooled.value, data=pooled.data
            )
            created = None
        entries = [] if computation.is_error else list(computation.get_log_entries())
        return _Outcome(not computation.is_error, int(computation.get_gas_used()) + INTRINSIC_GAS, entries, created)

def _receipt(pooled: _PoolTx, outcome: _Outcome, ref: BlockRef, first_log_index: int) -> Receipt:
    logs = tuple(
        Log(to_checksum_address(address), tuple(int(t).to_bytes(32, "big") for t in topics), bytes(data),
            ref.number, ref.hash, pooled.tx_hash, first_log_index + offset)
        for offset, (address, topics, data) in enumerate(outcome.entries)
    )
    return Receipt(pooled.tx_hash, ref.number, ref.hash, outcome.success, outcome.gas_used, logs, outcome.created)


def _replaces(new: Fees, old: Fees) -> bool:
    bumped = old.bumped(REPLACEMENT_BUMP_PERCENT_MIN)
    return (new.max_fee_per_gas_wei >= bumped.max_fee_per_gas_wei
            and new.max_priority_fee_per_gas_wei >= bumped.max_priority_fee_per_gas_wei)

