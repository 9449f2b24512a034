"""The Merkle tree against RFC 6962/9162's reference vectors (Certificate Transparency's
test data) and, for every size, against a naive recomputation of the RFC's definitions."""

from __future__ import annotations

import hashlib

from hypothesis import given, settings
from hypothesis import strategies as st

from digisom.transparency import merkle

# Certificate Transparency's test entries and the roots of their prefixes (sizes 0 to 8).
ENTRIES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                      "606162636465666768696a6b6c6d6e6f")]
LEAVES = [merkle.leaf_hash(e) for e in ENTRIES]
ROOTS = ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
# (leaf index, tree size, audit path)
INCLUSION = [(0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
             (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                     "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"])]
# (first size, second size, consistency path)
CONSISTENCY = [(1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                       "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                       "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
               (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                       "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                       "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
               (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                       "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"])]


def test_roots_are_the_reference_roots_for_every_size_0_to_8() -> None:
    assert [merkle.root(LEAVES[:n]).hex() for n in range(9)] == ROOTS


def test_inclusion_paths_are_the_reference_paths_and_verify() -> None:
    for index, size, path in INCLUSION:
        assert [p.hex() for p in merkle.inclusion_path(index, LEAVES[:size])] == path
        proof = [bytes.fromhex(p) for p in path]
        assert merkle.verify_inclusion(index, size, LEAVES[index], proof, bytes.fromhex(ROOTS[size]))
        assert not merkle.verify_inclusion(index, size, LEAVES[index], proof, bytes.fromhex(ROOTS[size - 1]))


def test_consistency_paths_are_the_reference_paths_and_verify() -> None:
    for first, second, path in CONSISTENCY:
        assert [p.hex() for p in merkle.consistency_path(first, LEAVES[:second])] == path
        proof = [bytes.fromhex(p) for p in path]
        roots = bytes.fromhex(ROOTS[first]), bytes.fromhex(ROOTS[second])
        assert merkle.verify_consistency(first, second, proof, *roots)
        assert not merkle.verify_consistency(first, second, proof, bytes.fromhex(ROOTS[first - 1]),
                                             bytes.fromhex(ROOTS[second]))


# The RFC's definitions, written as directly as they read (§2.1.1, 2.1.3.1, 2.1.4.1).
def _mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = 1
    while k * 2 < len(d):
        k *= 2
    return hashlib.sha256(b"\x01" + _mth(d[:k]) + _mth(d[k:])).digest()


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    return [*_path(m, d[:k]), _mth(d[k:])] if m < k else [*_path(m - k, d[k:]), _mth(d[:k])]


def _subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [_mth(d)]
    k = _k(len(d))
    return [*_subproof(m, d[:k], b), _mth(d[k:])] if m <= k else [*_subproof(m - k, d[k:], False), _mth(d[:k])]


leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=70).map(lambda es: [merkle.leaf_hash(e) for e in es])


@settings(max_examples=60, deadline=None)
@given(leaves=leaf_lists, data=st.data())
def test_proofs_match_the_rfcs_definitions_and_verify(leaves: list[bytes], data: st.DataObject) -> None:
    n = len(leaves)
    assert merkle.root(leaves) == _mth(leaves)
    index = data.draw(st.integers(0, n - 1))
    path = merkle.inclusion_path(index, leaves)
    assert path == _path(index, leaves)
    assert merkle.verify_inclusion(index, n, leaves[index], path, _mth(leaves))
    first = data.draw(st.integers(0, n))
    proof = merkle.consistency_path(first, leaves)
    assert proof == ([] if first == 0 else _subproof(first, leaves, True))
    assert merkle.verify_consistency(first, n, proof, _mth(leaves[:first]), _mth(leaves))


@settings(max_examples=60, deadline=None)
@given(leaves=leaf_lists, data=st.data())
def test_a_changed_leaf_root_or_path_node_fails_verification(leaves: list[bytes], data: st.DataObject) -> None:
    n = len(leaves)
    index = data.draw(st.integers(0, n - 1))
    root = merkle.root(leaves)
    path = merkle.inclusion_path(index, leaves)
    other = merkle.leaf_hash(b"forged")
    assert not merkle.verify_inclusion(index, n, other, path, root)
    if path:
        at = data.draw(st.integers(0, len(path) - 1))
        assert not merkle.verify_inclusion(index, n, leaves[index], [*path[:at], other, *path[at + 1:]], root)
    first = data.draw(st.integers(1, n))
    proof = merkle.consistency_path(first, leaves)
    changed = [*leaves[:first - 1], other]
    assert not merkle.verify_consistency(first, n, proof, merkle.root(changed), root)
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        assert not merkle.verify_consistency(first, n, [*proof[:at], other, *proof[at + 1:]],
                                             merkle.root(leaves[:first]), root)


def test_out_of_range_inputs_are_refused_not_crashed() -> None:
    root = merkle.root(LEAVES)
    assert not merkle.verify_inclusion(8, 8, LEAVES[0], [], root)
    assert not merkle.verify_inclusion(-1, 8, LEAVES[0], [], root)
    assert not merkle.verify_consistency(5, 3, [], root, root)
    assert not merkle.verify_consistency(3, 5, [], root, root)  # an empty proof proves nothing between sizes
    assert not merkle.verify_inclusion(0, 8, LEAVES[0], [b"short"], root)
