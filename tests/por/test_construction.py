"""The tree is exactly the issue's construction: an independent re-implementation of its
formulas gives the same root; the total is the sum; leaves are shuffled; proofs verify."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from digisom.por import layout
from digisom.por.proof import prove
from digisom.por.verify import verify
from tests.por.helpers import built, issue_root, leaves_in_order

balance_maps = st.dictionaries(st.from_regex(r"[a-z0-9-]{1,12}", fullmatch=True), st.integers(0, 2**40),
                               min_size=1, max_size=40)


@settings(max_examples=40, deadline=None)
@given(balance_maps)
def test_root_equals_the_issue_formulas_and_total_is_the_sum(balances: dict[str, int]) -> None:
    with built(balances) as (out, root):
        assert root["total"] == sum(balances.values())
        assert root["leaves"] == len(balances)
        assert 2 ** root["depth"] >= len(balances) > 2 ** root["depth"] // 2 or len(balances) == 1
        leaves = leaves_in_order(out)
        assert [index for _, _, index in leaves] == list(range(len(balances)))
        assert {cid for cid, _, _ in leaves} == set(balances)
        expected = issue_root([(cid, nonce, balances[cid]) for cid, nonce, _ in leaves], root["depth"])
        assert (root["root"], root["total"]) == expected
        assert json.loads((out / layout.ROOT_FILE).read_text()) == root
        for customer in balances:
            verify(prove(out, customer), root)


def test_the_two_process_build_gives_the_issue_root() -> None:
    balances = {f"c{i}": i * 3 for i in range(40_000)}  # 2**16 leaves: split across two processes
    with built(balances) as (out, root):
        leaves = leaves_in_order(out)
        assert (root["root"], root["total"]) == issue_root([(c, n, balances[c]) for c, n, _ in leaves], root["depth"])
        verify(prove(out, "c39999"), root)


def test_leaf_order_is_random_and_nonces_fresh() -> None:
    balances = {f"c{i}": i for i in range(64)}
    with built(balances) as (first, root_a), built(balances) as (second, root_b):
        order_a, order_b = leaves_in_order(first), leaves_in_order(second)
    assert [c for c, _, _ in order_a] != [c for c, _, _ in order_b]
    assert [c for c, _, _ in order_a] != list(balances)
    assert len({n for _, n, _ in order_a} | {n for _, n, _ in order_b}) == 128
    assert root_a["root"] != root_b["root"]
    assert root_a["total"] == root_b["total"]
