"""Check one customer's inclusion proof against a published root (docs/por.md).

Standalone on purpose: only the standard library, nothing from the builder, so that an
outsider can read it in one sitting and port it. `verify(proof, root)` returns None or
raises `ProofInvalid` naming the first thing that fails."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

U64_MAX = 2**64 - 1
NONCE_BYTES = 16


class ProofInvalid(ValueError):
    """The proof does not verify; the message names why."""


def commitment(customer_id: str, nonce: bytes) -> bytes:
    return hashlib.sha256(customer_id.encode("utf-8") + nonce).digest()


def leaf_hash(commit: bytes, balance: int) -> bytes:
    return hashlib.sha256(b"\x00" + commit + balance.to_bytes(8, "big")).digest()


def node_hash(left: bytes, left_balance: int, right: bytes, right_balance: int) -> bytes:
    return hashlib.sha256(b"\x01" + left + left_balance.to_bytes(8, "big")
                          + right + right_balance.to_bytes(8, "big")).digest()


def _u64(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= U64_MAX:
        raise ProofInvalid(f"{what} must be an integer from 0 to 2**64-1, not {value!r}")
    return value


def _hex(value: Any, size: int, what: str) -> bytes:
    try:
        raw = bytes.fromhex(value) if isinstance(value, str) else b""
    except ValueError:
        raw = b""
    if len(raw) != size:
        raise ProofInvalid(f"{what} must be {size} bytes of hex")
    return raw


def verify(proof: Mapping[str, Any], root: Mapping[str, Any]) -> None:
    """None if `proof` shows its customer's balance inside `root`; `ProofInvalid` otherwise."""
    if proof.get("asset") != root.get("asset"):
        raise ProofInvalid(f"proof is for asset {proof.get('asset')!r}, root for {root.get('asset')!r}")
    if proof.get("root") != root.get("root") or proof.get("total") != root.get("total"):
        raise ProofInvalid("proof is for another root (root or total differ from the published root)")
    customer_id = proof.get("customer_id")
    if not isinstance(customer_id, str) or not customer_id:
        raise ProofInvalid("customer_id must be a non-empty string")
    depth, path = root.get("depth"), proof.get("path")
    if not isinstance(path, list) or isinstance(depth, bool) or not isinstance(depth, int) or len(path) != depth:
        raise ProofInvalid(f"path has {len(path) if isinstance(path, list) else 'no'} steps, the root's depth is "
                           f"{depth!r}")
    index = proof.get("index")
    leaves = root.get("leaves")
    if isinstance(index, bool) or not isinstance(index, int) or not isinstance(leaves, int) or not 0 <= index < leaves:
        raise ProofInvalid(f"index {index!r} is not one of the root's {leaves!r} customer leaves")
    balance = _u64(proof.get("balance"), "balance")
    node = leaf_hash(commitment(customer_id, _hex(proof.get("nonce"), NONCE_BYTES, "nonce")), balance)
    position = index
    for level, step in enumerate(path):
        if not isinstance(step, Mapping):
            raise ProofInvalid(f"path step {level} is not an object")
        sibling = _hex(step.get("hash"), 32, f"path step {level} hash")
        sibling_balance = _u64(step.get("balance"), f"path step {level} balance")
        if balance + sibling_balance > U64_MAX:
            raise ProofInvalid(f"path step {level}: balances overflow 2**64-1")
        if position % 2 == 0:
            node = node_hash(node, balance, sibling, sibling_balance)
        else:
            node = node_hash(sibling, sibling_balance, node, balance)
        balance += sibling_balance
        position //= 2
    if balance != root.get("total"):
        raise ProofInvalid(f"path sums to {balance}, the root's total is {root.get('total')!r}")
    if node.hex() != root.get("root"):
        raise ProofInvalid("recomputed root hash differs from the published root")
