"""Signed tree heads: RFC 9162 §4.10's TreeHeadDataV2 (timestamp, tree size, root hash,
no extensions), TLS-serialised and signed with Ed25519; and the digest a chain anchor
carries. Pure: signing takes the key, checking takes the public key's raw bytes."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from digisom.transparency.merkle import HASH_BYTES

PUBLIC_KEY_BYTES: Final = 32


@dataclass(frozen=True, slots=True)
class TreeHead:
    """A signed tree head: the log's root at `tree_size` leaves, when, and the signature."""

    tree_size: int
    root_hash: bytes
    timestamp_ms: int
    signature: bytes

    def as_json(self) -> dict[str, Any]:
        """As published."""
        return {"tree_size": self.tree_size, "root_hash": self.root_hash.hex(), "timestamp_ms": self.timestamp_ms,
                "signature": self.signature.hex(), "sth_hash": sth_hash(self).hex()}


def tree_head_data(tree_size: int, root_hash: bytes, timestamp_ms: int) -> bytes:
    """TreeHeadDataV2: uint64 timestamp, uint64 tree_size, opaque root<32..255>, empty extensions."""
    if len(root_hash) != HASH_BYTES:
        raise ValueError("a root hash has 32 bytes")
    return struct.pack(">QQB", timestamp_ms, tree_size, len(root_hash)) + root_hash + b"\x00\x00"


def sign(key: Ed25519PrivateKey, tree_size: int, root_hash: bytes, timestamp_ms: int) -> TreeHead:
    """The tree head signed with `key`."""
    signature = key.sign(tree_head_data(tree_size, root_hash, timestamp_ms))
    return TreeHead(tree_size, root_hash, timestamp_ms, signature)


def sth_hash(head: TreeHead) -> bytes:
    """What an anchor carries: SHA-256 of the signed data and its signature."""
    return hashlib.sha256(tree_head_data(head.tree_size, head.root_hash, head.timestamp_ms) + head.signature).digest()


def signed_by(head: TreeHead, public_key_raw: bytes) -> bool:
    """Whether `head`'s signature is the key's over its data."""
    if len(public_key_raw) != PUBLIC_KEY_BYTES or len(head.root_hash) != HASH_BYTES:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key_raw).verify(
            head.signature, tree_head_data(head.tree_size, head.root_hash, head.timestamp_ms))
    except (InvalidSignature, ValueError):
        return False
    return True


def public_key_raw(key: Ed25519PrivateKey) -> bytes:
    """The 32 raw bytes of `key`'s public key."""
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
