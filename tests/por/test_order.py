"""The leaves' order drawn in a forked process while a large CSV is parsed: the tree built
with it is the issue's construction over a permutation of the file's customers, each parse
draws its own order, and a refused file leaves no process behind."""

from __future__ import annotations

import multiprocessing
import tempfile
from pathlib import Path

from digisom.por import errors
from digisom.por.csvin import parse_balances
from digisom.por.order import BACKGROUND_MIN
from digisom.por.tree import build_tree
from tests.por.helpers import issue_root, leaves_in_order

CUSTOMERS = BACKGROUND_MIN + 3


def _csv(count: int, tail: bytes = b"") -> bytes:
    return b"customer_id,balance\n" + b"".join(b"c-%d,%d\n" % (k, k % 1000) for k in range(count)) + tail


def test_a_large_file_gets_its_order_from_the_background_and_the_tree_is_the_issues() -> None:
    balances = parse_balances(_csv(CUSTOMERS))
    assert balances.pending_order is not None
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "tree"
        root = build_tree(balances, "KGST", out, workers=2)
        leaves = leaves_in_order(out)
        assert sorted(cid for cid, _nonce, _index in leaves) == sorted(f"c-{k}" for k in range(CUSTOMERS))
        by_id = dict(zip((i.decode() for i in balances.ids), balances.balances, strict=True))
        expected = issue_root([(cid, nonce, by_id[cid]) for cid, nonce, _index in leaves], root["depth"])
        assert (root["root"], root["total"]) == expected
        assert [cid for cid, _n, _i in leaves] != [f"c-{k}" for k in range(CUSTOMERS)]  # not the file's order
        # A second tree from the same balances draws its own order in line.
        again = build_tree(balances, "KGST", Path(scratch) / "again", workers=1)
        assert again["total"] == root["total"]
        assert [cid for cid, _n, _i in leaves_in_order(Path(scratch) / "again")] != [cid for cid, _n, _i in leaves]


def test_two_parses_draw_two_orders() -> None:
    first, second = (parse_balances(_csv(CUSTOMERS)).pending_order for _ in range(2))
    assert first is not None and second is not None
    assert first.result() != second.result()


def test_a_refused_file_leaves_no_process_behind() -> None:
    alive = None
    try:
        parse_balances(_csv(CUSTOMERS, b"late,-1\n"))
    except errors.NegativeBalance:
        # Looked at while the refusal (and the failed parse's frames) are still held: stopped, not collected.
        alive = multiprocessing.active_children()
    assert alive == []
