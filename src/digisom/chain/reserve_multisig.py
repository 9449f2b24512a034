"""`MultisigWallet`: the reserve's `ReserveMultisig` contract wallet through the chain adapter,
and `MultisigCustody`, the reserve domain's `Custody` port on it.

Reads (owners, threshold, nonce, digests, EIP-1271) are calls; `execute` sends an
`execTransaction` from any relayer key (the relayer pays gas and decides nothing: the
owners' signatures do). A refusal comes back as `MultisigRefused` with the contract's
message, whether the node refused it in simulation or it reverted when mined.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address

from digisom.chain.abi import Function
from digisom.chain.contracts import Artifact, reserve_multisig_artifact
from digisom.chain.errors import ChainError, TransactionReverted
from digisom.chain.model import Receipt, TxRequest
from digisom.chain.protocol import Chain
from digisom.chain.rpc import RpcChain
from digisom.chain.transactor import Transactor, sign
from digisom.reserve.errors import BlockUnavailable, MultisigRefused
from digisom.reserve.typed import MultisigTx

if TYPE_CHECKING:  # titanoboa loads only where the in-process chain is used
    from digisom.chain.embedded import EmbeddedChain

EIP1271_MAGIC: Final = bytes.fromhex("1626ba7e")
# execTransaction's gas when sent without a simulation (to see the revert mined on chain).
UNCHECKED_GAS: Final = 1_000_000
ZERO_ADDRESS: Final = "0x" + "00" * 20
RECEIPT_TIMEOUT_S: Final = 10.0
RECEIPT_POLL_S: Final = 0.05


class MultisigWallet:
    """One deployed wallet on one chain."""

    def __init__(self, chain: Chain, address: str, artifact: Artifact | None = None) -> None:
        self.chain = chain
        self.address = address
        self.artifact = artifact or reserve_multisig_artifact()

    @classmethod
    def deploy(cls, transactor: Transactor, owners: Sequence[str], threshold: int, allowed: Sequence[str] = (),
               delay_s: int = 0, artifact: Artifact | None = None) -> MultisigWallet:
        """Deploy a wallet with `owners`, `threshold`, destinations `allowed` and a time lock of `delay_s`."""
        built = artifact or reserve_multisig_artifact()
        address = transactor.deploy(built.init_code(list(owners), threshold, list(allowed), delay_s))
        return cls(transactor.chain, address, built)

    def _read(self, name: str, *args: object) -> Any:
        fn = self.artifact.abi.fn(name)
        (value,) = fn.decode(self.chain.call(self.address, fn.encode(*args)))
        return value

    def owners(self) -> list[str]:
        """The current owners (order not meaningful)."""
        return [str(to_checksum_address(owner)) for owner in self._read("getOwners")]

    def threshold(self) -> int:
        return int(self._read("threshold"))

    def nonce(self) -> int:
        return int(self._read("nonce"))

    def tx(self, to: str, value_units: int, data: bytes, nonce: int | None = None) -> MultisigTx:
        """The transaction owners approve, at the wallet's current nonce unless given."""
        return MultisigTx(self.chain.chain_id(), self.address, to, value_units, data,
                          self.nonce() if nonce is None else nonce)

    def transaction_hash(self, tx: MultisigTx) -> bytes:
        """The digest the contract computes for `tx` (to check Python and Vyper agree)."""
        return bytes(self._read("transactionHash", tx.to, tx.value_units, tx.data, tx.nonce))

    def is_valid_signature(self, hash32: bytes, signatures: bytes) -> bool:
        """EIP-1271: do `threshold` current owners vouch for `hash32`?"""
        return bytes(self._read("isValidSignature", hash32, signatures)) == EIP1271_MAGIC

    def call_data(self, name: str, *args: object) -> bytes:
        """Calldata of one of the wallet's own functions (owner management goes through `execute`)."""
        return self.artifact.abi.fn(name).encode(*args)

    def is_allowed(self, destination: str) -> bool:
        return bool(self._read("allowed", destination))

    def large_units(self, token: str | None) -> int:
        """The amount from which a movement of `token` (None: the native coin) is time-locked; 0: never."""
        return int(self._read("largeUnits", token or ZERO_ADDRESS))

    def delay_s(self) -> int:
        return int(self._read("delaySeconds"))

    def queued_at(self, tx: MultisigTx) -> int:
        """When `tx` was queued (block timestamp), 0 if it was not."""
        return int(self._read("queuedAt", self.transaction_hash(tx)))

    def queue(self, relayer: Transactor, tx: MultisigTx, signatures: bytes, confirmations: int = 1) -> Receipt:
        """Start the time lock of an approved, time-locked movement."""
        return self._send(relayer, "queueTransaction", tx, signatures, confirmations)

    def execute(self, relayer: Transactor, tx: MultisigTx, signatures: bytes, confirmations: int = 1) -> Receipt:
        """Send `execTransaction`; `MultisigRefused` if the node or the contract refuses it."""
        return self._send(relayer, "execTransaction", tx, signatures, confirmations)

    def _send(self, relayer: Transactor, name: str, tx: MultisigTx, signatures: bytes, confirmations: int) -> Receipt:
        data = self.call_data(name, tx.to, tx.value_units, tx.data, tx.nonce, signatures)
        try:
            signed = relayer.prepare(self.address, data)
            relayer.chain.broadcast(signed.raw)
            return relayer.wait(signed.tx_hash, confirmations)
        except TransactionReverted as error:
            raise MultisigRefused(str(error)) from None

    def execute_unchecked(self, relayer: LocalAccount, tx: MultisigTx, signatures: bytes) -> Receipt | None:
        """Send `execTransaction` without simulating it first, so a refusal is a reverted
        transaction mined on chain (tests use this to see the contract itself refuse)."""
        data = self.call_data("execTransaction", tx.to, tx.value_units, tx.data, tx.nonce, signatures)
        signed = sign(relayer, self.chain.chain_id(), TxRequest(self.address, data, UNCHECKED_GAS),
                      self.chain.nonce(relayer.address), self.chain.fees())
        tx_hash = self.chain.broadcast(signed.raw)
        deadline = time.monotonic() + RECEIPT_TIMEOUT_S
        receipt = self.chain.receipt(tx_hash)
        while receipt is None and time.monotonic() < deadline:  # a node mines a moment later
            time.sleep(RECEIPT_POLL_S)
            receipt = self.chain.receipt(tx_hash)
        return receipt


class MultisigCustody:
    """`digisom.reserve.custody.Custody` on a deployed `ReserveMultisig`."""

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


class _ReaderAtBlock:
    """`digisom.reserve.publication.ChainAtBlock` over a way to call contracts at a block."""

    def __init__(self, artifact: Artifact | None = None) -> None:
        self._abi = (artifact or reserve_multisig_artifact()).abi
        self._erc20_balance = Function("balanceOf", ("address",), ("uint256",))

    def _call(self, to: str, data: bytes, block: int) -> bytes:
        raise NotImplementedError

    def token_balance(self, token: str, address: str, block: int) -> int:
        (units,) = self._erc20_balance.decode(self._call(token, self._erc20_balance.encode(address), block))
        return int(units)

    def owners(self, wallet: str, block: int) -> list[str]:
        fn = self._abi.fn("getOwners")
        (found,) = fn.decode(self._call(wallet, fn.encode(), block))
        return [str(to_checksum_address(owner)) for owner in found]

    def threshold(self, wallet: str, block: int) -> int:
        fn = self._abi.fn("threshold")
        (found,) = fn.decode(self._call(wallet, fn.encode(), block))
        return int(found)

    def is_valid_signature(self, wallet: str, hash32: bytes, signatures: bytes, block: int) -> bool:
        fn = self._abi.fn("isValidSignature")
        try:
            (magic,) = fn.decode(self._call(wallet, fn.encode(hash32, signatures), block))
        except ChainError:  # a node that refuses the call: not a valid signature
            return False
        return bytes(magic) == EIP1271_MAGIC


class RpcReserveReader(_ReaderAtBlock):
    """Reads on a JSON-RPC node: balances, owners, threshold and EIP-1271 answers at a given
    block (eth_getBalance / eth_call with a block number; the node must keep state that old:
    an archive node for old publications)."""

    def __init__(self, rpc: RpcChain, artifact: Artifact | None = None) -> None:
        super().__init__(artifact)
        self._rpc = rpc

    def chain_id(self) -> int:
        return self._rpc.chain_id()

    def native_balance(self, address: str, block: int) -> int:
        return int(self._rpc.request("eth_getBalance", [address, hex(block)]), 16)

    def _call(self, to: str, data: bytes, block: int) -> bytes:
        found = self._rpc.request("eth_call", [{"to": to, "data": "0x" + data.hex()}, hex(block)])
        return bytes.fromhex(str(found).removeprefix("0x"))


class HeadReserveReader(_ReaderAtBlock):
    """Reads on the in-process EVM, which keeps no old state: only its head block can be
    read; any other block is `BlockUnavailable` (the demo and the API tests publish at the head)."""

    def __init__(self, chain: EmbeddedChain, artifact: Artifact | None = None) -> None:
        super().__init__(artifact)
        self._chain = chain

    def chain_id(self) -> int:
        return self._chain.chain_id()

    def native_balance(self, address: str, block: int) -> int:
        self._at_head(block)
        return self._chain.balance(address)

    def _call(self, to: str, data: bytes, block: int) -> bytes:
        self._at_head(block)
        return self._chain.call(to, data)

    def _at_head(self, block: int) -> None:
        head = self._chain.block_number()
        if block != head:
            raise BlockUnavailable(f"the in-process chain keeps only its head {head}, not block {block}")
