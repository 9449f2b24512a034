"""RFC 9162 §2.1 Merkle tree hashes and proofs, pure (no I/O).

A leaf hash is SHA-256(0x00 || entry), an interior node SHA-256(0x01 || left || right);
a tree of n leaves splits at k, the largest power of two below n, so any size has one
tree (not only powers of two). Proofs are built from the leaf hashes of the tree they
are for; the verifiers are the RFC's §2.1.3.2 and §2.1.4.2 algorithms, which only shift
indices and hash, so a client checks a proof without the tree."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Final

HASH_BYTES: Final = 32
LEAF_PREFIX: Final = b"\x00"
NODE_PREFIX: Final = b"\x01"
EMPTY_ROOT: Final = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    """The hash of one log entry."""
    return hashlib.sha256(LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH of the leaf hashes `leaves` (the empty tree's root is SHA-256 of nothing)."""
    if not leaves:
        return EMPTY_ROOT
    # Bottom-up over the RFC's split: pairing from the left and carrying an odd last node
    # up a level builds exactly the tree MTH recurses over.
    level = list(leaves)
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def inclusion_path(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(index, D[n]): the audit path of leaf `index` in the tree of `leaves`."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"leaf {index} is not in a tree of {len(leaves)}")
    path: list[bytes] = []
    lo, hi = 0, len(leaves)
    # Walk down from the root, collecting the sibling subtree at each split; the RFC lists
    # them from the leaf up.
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(root(leaves[lo + k:hi]))
            hi = lo + k
        else:
            path.append(root(leaves[lo:lo + k]))
            lo += k
    return path[::-1]


def consistency_path(first: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(first, D[n]): the consistency proof from the tree of the first `first` of
    `leaves` to the tree of all of them (empty when first is 0 or n)."""
    n = len(leaves)
    if not 0 <= first <= n:
        raise ValueError(f"a tree of {first} is not a prefix of a tree of {n}")
    if first in (0, n):
        return []
    proof: list[bytes] = []
    lo, hi, whole = 0, n, True
    m = first
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            proof.append(root(leaves[lo + k:hi]))
            hi = lo + k
        else:
            proof.append(root(leaves[lo:lo + k]))
            lo, m, whole = lo + k, m - k, False
    if not whole:
        proof.append(root(leaves[lo:hi]))
    return proof[::-1]


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], expected_root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does `path` prove leaf hash `leaf` at `index` in the tree of
    `size` whose root is `expected_root`?"""
    if not 0 <= index < size or any(len(h) != HASH_BYTES for h in path):
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == expected_root


def verify_consistency(first: int, second: int, proof: Sequence[bytes], first_root: bytes,
                       second_root: bytes) -> bool:
    """RFC 9162 §2.1.4.2: does `proof` show that the tree of `first` with root `first_root`
    is a prefix of the tree of `second` with root `second_root`? The sizes the algorithm
    leaves out: an empty first tree is a prefix of every tree (empty proof), and equal
    sizes need equal roots (empty proof)."""
    if not 0 <= first <= second or any(len(h) != HASH_BYTES for h in proof):
        return False
    if first == 0:
        return not proof and first_root == EMPTY_ROOT
    if first == second:
        return not proof and first_root == second_root
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # an exact power of two: the first tree is a node of the second
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0
