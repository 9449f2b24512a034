"""Small trees for the proof-of-reserves tests, and the issue's construction re-implemented
straight from its formulas (independent of digisom.por.tree and digisom.por.verify)."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from digisom.por.csvin import parse_balances
from digisom.por.tree import build_tree


def csv_bytes(balances: dict[str, int]) -> bytes:
    return b"customer_id,balance\n" + "".join(f"{c},{b}\n" for c, b in balances.items()).encode()


@contextmanager
def built(balances: dict[str, int], asset: str = "KGST") -> Iterator[tuple[Path, dict[str, Any]]]:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "tree"
        yield out, build_tree(parse_balances(csv_bytes(balances)), asset, out)


def issue_root(leaves: list[tuple[str, bytes, int]], depth: int) -> tuple[str, int]:
    """The root from the issue's text: leaves (id, nonce, balance) in leaf order, padded."""
    def h(data: bytes) -> bytes:
        return hashlib.sha256(data).digest()

    def u64(value: int) -> bytes:
        return value.to_bytes(8, "big")

    level = [(h(b"\x00" + h(cid.encode() + nonce) + u64(bal)), bal) for cid, nonce, bal in leaves]
    level += [(h(b"\x00" + h(b"\x02" + u64(i)) + u64(0)), 0) for i in range(len(leaves), 2**depth)]
    while len(level) > 1:
        level = [(h(b"\x01" + hl + u64(bl) + hr + u64(br)), bl + br)
                 for (hl, bl), (hr, br) in zip(level[::2], level[1::2], strict=True)]
    return level[0][0].hex(), level[0][1]


def leaves_in_order(out: Path) -> list[tuple[str, bytes, int]]:
    """(id, nonce, index) per leaf, from the customers index and the nonces file."""
    ids = (out / "customers.txt").read_text().split("\n")[1:-1]
    nonces = (out / "nonces.bin").read_bytes()
    assert len(nonces) == 16 * len(ids)
    return [(cid, nonces[16 * index:16 * index + 16], index) for index, cid in enumerate(ids)]
