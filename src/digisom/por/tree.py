"""Build the Merkle-sum tree of one asset's customer balances (docs/por.md, "Construction").

leaf = SHA-256(0x00 || SHA-256(utf8(id) || nonce) || u64be(balance)); node = SHA-256(0x01 ||
hL || u64be(bL) || hR || u64be(bR)); padding leaves (balance 0) at indices n..2**depth-1 with
commitment SHA-256(0x02 || u64be(index)). Customers take the first n leaves in a random order.

Speed (bench/por.py): a level is a list of 40-byte records (hash || u64be balance) so a node is
one concatenation and one hashlib call in a comprehension; the tree splits into `workers`
subtrees built by forked processes, which write their levels straight into `tree.bin`; the
parent writes the customers index meanwhile and then joins the subtree roots."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import random
import secrets
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from digisom.por import layout
from digisom.por.csvin import Balances
from digisom.por.errors import PorError

NONCE_BYTES: Final = layout.NONCE_BYTES
ZERO_BALANCE: Final = bytes(8)
# Below this many leaves a second process costs more than it saves.
PARALLEL_LEAVES_MIN: Final = 1 << 15


def _leaf_records(ids: Sequence[bytes], balances: Sequence[int], nonces: bytes, order: Sequence[int],
                  customers: int, start: int, stop: int) -> list[bytes]:
    """Leaf records of indices start..stop-1: customers below `customers`, padding after."""
    sha = hashlib.sha256
    real_stop = max(start, min(stop, customers))
    chosen = order[start:real_stop]
    records = [sha(b"\x00" + sha(ids[c] + nonces[NONCE_BYTES * i:NONCE_BYTES * i + NONCE_BYTES]).digest() + b).digest()
               + b
               for i, c, b in zip(range(start, real_stop), chosen,
                                  [balances[c].to_bytes(8, "big") for c in chosen], strict=True)]
    records += [sha(b"\x00" + sha(b"\x02" + i.to_bytes(8, "big")).digest() + ZERO_BALANCE).digest() + ZERO_BALANCE
                for i in range(real_stop, stop)]
    return records


def _parent_level(records: list[bytes], balances: list[int]) -> tuple[list[bytes], list[int]]:
    """The level above: its records and their balances (kept as ints beside the records: a
    sum of ints is cheaper than reading two u64s back out of the records)."""
    sha = hashlib.sha256
    pairs = iter(records)
    hashes = [sha(b"\x01" + left + right).digest() for left, right in zip(pairs, pairs, strict=True)]
    units = iter(balances)
    # Balances cannot overflow: the builder refused a total past 2**64-1, and every node is a partial sum.
    sums = [left + right for left, right in zip(units, units, strict=True)]
    return [node + total.to_bytes(8, "big") for node, total in zip(hashes, sums, strict=True)], sums


def _build_subtree(tree_path: Path, depth: int, ids: Sequence[bytes], balances: Sequence[int], nonces: bytes,
                   order: Sequence[int], customers: int, start: int, stop: int) -> None:
    """Every level of the subtree over leaves start..stop-1 (a power-of-two aligned span), written in place."""
    records = _leaf_records(ids, balances, nonces, order, customers, start, stop)
    units = [balances[c] for c in order[start:max(start, min(stop, customers))]]
    units += [0] * (stop - start - len(units))
    fd = os.open(tree_path, os.O_WRONLY)
    try:
        level = 0
        while True:
            os.pwrite(fd, b"".join(records), layout.level_offset(depth, level) + layout.RECORD_BYTES * (start >> level))
            if len(records) == 1:
                break
            records, units = _parent_level(records, units)
            level += 1
    finally:
        os.close(fd)


def _write_customers(directory: Path, ids: Sequence[bytes], nonces: bytes, order: Sequence[int]) -> None:
    # Nonces are drawn per leaf index, so they are already in leaf order.
    (directory / layout.NONCES_FILE).write_bytes(nonces)
    (directory / layout.CUSTOMERS_FILE).write_bytes(b"\n" + b"\n".join([ids[c] for c in order]) + b"\n")


def random_order(count: int) -> list[int]:
    """A uniformly random permutation of range(count): leaf i holds customer order[i].

    Mersenne Twister seeded with 256 bits from `secrets`: the order only has to hide the
    CSV's order (e.g. by sign-up date) from someone who sees leaf positions, and the
    generator's state is never shown; `SystemRandom` would make 10M system calls."""
    order = list(range(count))
    random.Random(secrets.randbits(256)).shuffle(order)  # noqa: S311 (see above)
    return order


def build_tree(balances: Balances, asset: str, out_dir: Path, *, workers: int = 2,
               built_at: datetime | None = None) -> dict[str, Any]:
    """Build the tree into `out_dir` (which must not exist or be empty) and return root.json's content.

    Built in a sibling temporary directory renamed into place at the end: no half tree."""
    if not layout.ASSET_PATTERN.fullmatch(asset):
        raise PorError(f"asset symbol must be 1 to 16 of A-Z 0-9, not {asset!r}")
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise PorError(f"{out_dir} exists and is not an empty directory")
    customers = len(balances.ids)
    depth = (customers - 1).bit_length()
    size = 1 << depth
    nonces = os.urandom(NONCE_BYTES * customers)
    order = random_order(customers)
    staging = out_dir.parent / f".{out_dir.name}.partial-{secrets.token_hex(4)}"
    staging.mkdir(parents=True)
    try:
        tree_path = staging / layout.TREE_FILE
        with tree_path.open("wb") as handle:
            handle.write(layout.HEADER.pack(layout.MAGIC, depth, customers))
            handle.truncate(layout.tree_bytes(depth))
        parts = 1
        while parts * 2 <= max(1, workers) and size >= PARALLEL_LEAVES_MIN * parts * 2:
            parts *= 2
        span = size // parts
        args = [(tree_path, depth, balances.ids, balances.balances, nonces, order, customers, k * span, (k + 1) * span)
                for k in range(parts)]
        if parts == 1:
            _build_subtree(*args[0])
            _write_customers(staging, balances.ids, nonces, order)
        else:
            # fork: the children share the parent's lists instead of pickling 10M ids.
            context = multiprocessing.get_context("fork")
            processes = [context.Process(target=_build_subtree, args=arg) for arg in args]
            for process in processes:
                process.start()
            _write_customers(staging, balances.ids, nonces, order)
            for process in processes:
                process.join()
            if any(process.exitcode != 0 for process in processes):
                raise PorError("a tree-building process failed")
            part_level = span.bit_length() - 1  # the level of each subtree's root
            tops = layout.TreeFile(tree_path).records([(part_level, k) for k in range(parts)])
            records = [h + b.to_bytes(8, "big") for h, b in tops]
            units = [b for _, b in tops]
            fd = os.open(tree_path, os.O_WRONLY)
            try:
                level = part_level
                while len(records) > 1:
                    records, units = _parent_level(records, units)
                    level += 1
                    os.pwrite(fd, b"".join(records), layout.level_offset(depth, level))
            finally:
                os.close(fd)
        (root_hash, total), = layout.TreeFile(tree_path).records([(depth, 0)])
        if total != balances.total_units:
            raise PorError(f"tree total {total} differs from the balances' sum {balances.total_units}")
        root = {"asset": asset, "root": root_hash.hex(), "total": total, "leaves": customers, "depth": depth,
                "built_at": (built_at or datetime.now(UTC)).isoformat(timespec="seconds")}
        (staging / layout.ROOT_FILE).write_text(json.dumps(root, indent=1) + "\n")
        if out_dir.exists():
            out_dir.rmdir()
        staging.rename(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return root
