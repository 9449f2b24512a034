"""`RpcChain`: a `Chain` on any JSON-RPC node (anvil in tests, BNB Chain in production)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from digisom.chain.abi import revert_reason
from digisom.chain.errors import NonceConflict, RpcError, TransactionReverted
from digisom.chain.model import BlockRef, Fees, Log, Receipt, TxRequest
from digisom.chain.transport import RetryingTransport, Transport, Web3Transport

# The JSON-RPC error code nodes use for a reverted call or estimate (EIP-1474 / geth).
EXECUTION_REVERTED_CODE: Final = 3
# Fees offered: twice the base fee plus the tip, so the offer survives a few rising blocks.
BASE_FEE_MULTIPLIER: Final = 2


def _int(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def _hex(value: int) -> str:
    return hex(value)


def _bytes(value: str | None) -> bytes:
    return bytes.fromhex(value[2:]) if value else b""


class RpcChain:
    """A `Chain` over a JSON-RPC transport; every request goes through bounded retries."""

    def __init__(self, transport: Transport) -> None:
        self._rpc = transport
        self._chain_id: int | None = None

    @classmethod
    def connect(cls, url: str) -> RpcChain:
        """An HTTP node at `url` with the default timeout and retries."""
        return cls(RetryingTransport(Web3Transport(url)))

    def request(self, method: str, params: list[Any]) -> Any:
        """A raw JSON-RPC request (tests use it for anvil's `evm_*` methods)."""
        return self._rpc.request(method, params)

    def chain_id(self) -> int:
        """The node's chain id (asked once)."""
        if self._chain_id is None:
            self._chain_id = _int(self._rpc.request("eth_chainId", []))
        return self._chain_id

    def block_number(self) -> int:
        """The newest block's number."""
        return _int(self._rpc.request("eth_blockNumber", []))

    def block(self, number: int) -> BlockRef | None:
        """The canonical block at `number`."""
        found = self._rpc.request("eth_getBlockByNumber", [_hex(number), False])
        if not found:
            return None
        return BlockRef(_int(found["number"]), str(found["hash"]), str(found["parentHash"]))

    def call(self, to: str, data: bytes, sender: str | None = None) -> bytes:
        """eth_call at the newest block."""
        request: dict[str, str] = {"to": to, "data": "0x" + data.hex()}
        if sender is not None:
            request["from"] = sender
        return _bytes(self._simulate("eth_call", [request, "latest"]))

    def estimate_gas(self, sender: str, tx: TxRequest) -> int:
        """eth_estimateGas: the gas `tx` needs, or the revert message."""
        request = {"from": sender, "data": "0x" + tx.data.hex(), "value": _hex(tx.value)}
        if tx.to is not None:
            request["to"] = tx.to
        return _int(self._simulate("eth_estimateGas", [request]))

    def nonce(self, address: str) -> int:
        """eth_getTransactionCount at `pending`."""
        return _int(self._rpc.request("eth_getTransactionCount", [address, "pending"]))

    def fees(self) -> Fees:
        """Base fee of the newest block times two, plus the node's suggested tip."""
        latest = self._rpc.request("eth_getBlockByNumber", ["latest", False])
        base = _int(latest.get("baseFeePerGas") or 0)
        tip = _int(self._rpc.request("eth_maxPriorityFeePerGas", []))
        return Fees(base * BASE_FEE_MULTIPLIER + tip, tip)

    def broadcast(self, raw: bytes) -> str:
        """eth_sendRawTransaction; a transaction the node already knows is not an error."""
        tx_hash = "0x" + keccak(raw).hex()
        try:
            return str(self._rpc.request("eth_sendRawTransaction", ["0x" + raw.hex()]))
        except RpcError as error:
            if self._rpc.request("eth_getTransactionByHash", [tx_hash]) is not None:
                return tx_hash
            if "nonce too low" in str(error).lower():
                raise NonceConflict(str(error)) from None
            raise

    def receipt(self, tx_hash: str) -> Receipt | None:
        """eth_getTransactionReceipt."""
        found = self._rpc.request("eth_getTransactionReceipt", [tx_hash])
        if not found:
            return None
        logs = tuple(_log(entry) for entry in found.get("logs", []))
        created = found.get("contractAddress")
        return Receipt(
            str(found["transactionHash"]), _int(found["blockNumber"]), str(found["blockHash"]),
            _int(found["status"]) == 1, _int(found["gasUsed"]), logs,
            to_checksum_address(created) if created else None,
        )

    def logs(self, address: str, from_block: int, to_block: int, topic0s: Sequence[bytes]) -> list[Log]:
        """eth_getLogs for the range."""
        query = {
            "address": address, "fromBlock": _hex(from_block), "toBlock": _hex(to_block),
            "topics": [["0x" + t.hex() for t in topic0s]],
        }
        return [_log(entry) for entry in self._rpc.request("eth_getLogs", [query])]

    def _simulate(self, method: str, params: list[Any]) -> Any:
        try:
            return self._rpc.request(method, params)
        except RpcError as error:
            if error.code == EXECUTION_REVERTED_CODE or "revert" in str(error).lower():
                data = error.data if isinstance(error.data, str) else None
                raise TransactionReverted(revert_reason(_bytes(data)) if data else str(error)) from None
            raise


def _log(entry: dict[str, Any]) -> Log:
    return Log(
        to_checksum_address(entry["address"]), tuple(_bytes(t) for t in entry["topics"]), _bytes(entry["data"]),
        _int(entry["blockNumber"]), str(entry["blockHash"]), str(entry["transactionHash"]), _int(entry["logIndex"]),
    )
