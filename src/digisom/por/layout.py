"""The files of a built tree in its directory (docs/por.md, "Files"), shared by the builder
and the prover.

- `root.json`: the published root, written last (its presence means the build finished).
- `tree.bin`: a 16-byte header (`DSPORTR1`, u32be depth, u32be customer leaves), then the
  levels from the leaves (level 0) to the root (level depth); level l holds 2**(depth-l)
  records of 40 bytes: SHA-256 hash || u64be balance.
- `customers.txt`: "\n", then each customer's id and "\n", in leaf order: the id on line i
  (counting from 0 after the leading newline) holds leaf i.
- `nonces.bin`: the 16-byte nonces, in leaf order (leaf i's at offset 16 i).
The last two are the only files with ids and nonces; they are never published."""

from __future__ import annotations

import json
import mmap
import os
import re
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from digisom.por.errors import TreeFileInvalid, UnknownCustomer

ROOT_FILE: Final = "root.json"
TREE_FILE: Final = "tree.bin"
CUSTOMERS_FILE: Final = "customers.txt"
NONCES_FILE: Final = "nonces.bin"
NONCE_BYTES: Final = 16
MAGIC: Final = b"DSPORTR1"
HEADER: Final = struct.Struct(">8sII")
RECORD_BYTES: Final = 40
ASSET_PATTERN: Final = re.compile(r"[A-Z0-9]{1,16}")
ROOT_KEYS: Final = ("asset", "root", "total", "leaves", "depth", "built_at")


def level_offset(depth: int, level: int) -> int:
    """Byte offset of `level`'s first record: the levels below hold 2**(depth+1) - 2**(depth-level+1)."""
    return HEADER.size + RECORD_BYTES * ((1 << (depth + 1)) - (1 << (depth - level + 1)))


def tree_bytes(depth: int) -> int:
    return level_offset(depth, depth) + RECORD_BYTES


@dataclass(frozen=True, slots=True)
class CustomerEntry:
    customer_id: str
    index: int
    nonce: bytes


def read_root(directory: Path) -> dict[str, Any]:
    try:
        root: dict[str, Any] = json.loads((directory / ROOT_FILE).read_text())
    except (OSError, ValueError) as error:
        raise TreeFileInvalid(f"{directory / ROOT_FILE}: not a built tree's root ({error})") from None
    if not isinstance(root, dict) or set(root) != set(ROOT_KEYS):
        raise TreeFileInvalid(f"{directory / ROOT_FILE}: expected the keys {', '.join(ROOT_KEYS)}")
    return root


def find_customer(directory: Path, customer_id: str) -> CustomerEntry:
    """The customer's leaf index and nonce; `UnknownCustomer` if the tree has no such id."""
    needle = b"\n" + customer_id.encode("utf-8") + b"\n"
    try:
        with (directory / CUSTOMERS_FILE).open("rb") as handle, mmap.mmap(handle.fileno(), 0,
                                                                           access=mmap.ACCESS_READ) as data:
            # Ids never hold newlines (csvin), so "\n" + id + "\n" is exactly its line; mmap: the
            # index of 10M customers is ~0.1 GB, searched in place (memchr speed), never copied.
            start = data.find(needle) if "\n" not in customer_id else -1
            if start < 0:
                raise UnknownCustomer(f"no customer {customer_id!r} in this tree")
            index = data[:start].count(b"\n") if start < 1 << 16 else _count_newlines(data, start)
        with (directory / NONCES_FILE).open("rb") as handle:
            handle.seek(NONCE_BYTES * index)
            nonce = handle.read(NONCE_BYTES)
    except (OSError, ValueError) as error:
        raise TreeFileInvalid(f"customers index of {directory}: {error}") from None
    if len(nonce) != NONCE_BYTES:
        raise TreeFileInvalid(f"{directory / NONCES_FILE} is shorter than the customers index")
    return CustomerEntry(customer_id=customer_id, index=index, nonce=nonce)


def _count_newlines(data: mmap.mmap, stop: int, chunk: int = 1 << 24) -> int:
    """Newlines before `stop`, read in chunks (no copy of the whole prefix)."""
    return sum(data[at:min(at + chunk, stop)].count(b"\n") for at in range(0, stop, chunk))


class TreeFile:
    """Random reads of records from `tree.bin`."""

    def __init__(self, path: Path) -> None:
        self._path = path
        try:
            with path.open("rb") as handle:
                magic, self.depth, self.leaves = HEADER.unpack(handle.read(HEADER.size))
        except (OSError, struct.error) as error:
            raise TreeFileInvalid(f"{path}: not a tree file ({error})") from None
        if magic != MAGIC or self.depth > 32 or os.path.getsize(path) != tree_bytes(self.depth):
            raise TreeFileInvalid(f"{path}: bad header or size")

    def records(self, wanted: list[tuple[int, int]]) -> list[tuple[bytes, int]]:
        """(hash, balance) of each (level, index)."""
        out = []
        with self._path.open("rb") as handle:
            for level, index in wanted:
                handle.seek(level_offset(self.depth, level) + RECORD_BYTES * index)
                record = handle.read(RECORD_BYTES)
                out.append((record[:32], int.from_bytes(record[32:], "big")))
        return out
