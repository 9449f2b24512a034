"""One customer's inclusion proof from a built tree, as JSON (the issue's shape) and in its
binary form (docs/por.md, "Proof, binary form").

Binary form, version 1, all integers big-endian:
  u8 version (1) | u8 depth d | u32 index | 16 B nonce | u64 balance | u8 n | n B utf8(customer_id)
  | d x (32 B sibling hash | u64 sibling balance)
= 31 + n + 40 d bytes. The asset, root and total are not repeated: the proof is checked
against root.json, which carries them."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any, Final

from digisom.por import layout
from digisom.por.errors import ProofEncodingInvalid

BINARY_VERSION: Final = 1
_HEAD: Final = struct.Struct(">BBI16sQB")
_STEP: Final = struct.Struct(">32sQ")


def prove(directory: Path, customer_id: str) -> dict[str, Any]:
    """The customer's proof; `UnknownCustomer` if the tree has no such id."""
    root = layout.read_root(directory)
    entry = layout.find_customer(directory, customer_id)
    tree = layout.TreeFile(directory / layout.TREE_FILE)
    wanted = [(0, entry.index)] + [(level, (entry.index >> level) ^ 1) for level in range(tree.depth)]
    (_, balance), *siblings = tree.records(wanted)
    return {"asset": root["asset"], "root": root["root"], "total": root["total"], "customer_id": customer_id,
            "nonce": entry.nonce.hex(), "balance": balance, "index": entry.index,
            "path": [{"hash": sibling.hex(), "balance": units} for sibling, units in siblings]}


def to_binary(proof: dict[str, Any]) -> bytes:
    customer: bytes = proof["customer_id"].encode("utf-8")
    head = _HEAD.pack(BINARY_VERSION, len(proof["path"]), proof["index"], bytes.fromhex(proof["nonce"]),
                      proof["balance"], len(customer))
    path: bytes = b"".join(_STEP.pack(bytes.fromhex(step["hash"]), step["balance"])
                        for step in proof["path"])
    return head + customer + path


def from_binary(data: bytes, root: dict[str, Any]) -> dict[str, Any]:
    """The JSON proof of `data`, with the asset, root and total of `root` (the root it claims)."""
    try:
        version, depth, index, nonce, balance, id_bytes = _HEAD.unpack_from(data)
        customer = data[_HEAD.size:_HEAD.size + id_bytes].decode("utf-8")
        path_start = _HEAD.size + id_bytes
        if version != BINARY_VERSION or len(data) != path_start + _STEP.size * depth or len(customer) == 0:
            raise ValueError("bad version or length")
        steps = [_STEP.unpack_from(data, path_start + _STEP.size * k) for k in range(depth)]
    except (struct.error, ValueError, UnicodeDecodeError) as error:
        raise ProofEncodingInvalid(f"not a version-{BINARY_VERSION} binary proof: {error}") from None
    return {"asset": root.get("asset"), "root": root.get("root"), "total": root.get("total"), "customer_id": customer,
            "nonce": nonce.hex(), "balance": balance, "index": index,
            "path": [{"hash": sibling.hex(), "balance": units} for sibling, units in steps]}
