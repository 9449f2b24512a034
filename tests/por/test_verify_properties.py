"""Any change to a proof makes the standalone verifier fail; a proof for another root fails;
a proof carries no other customer's id."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import digisom.por.verify as verify_module
from digisom.por.errors import ProofEncodingInvalid
from digisom.por.proof import from_binary, prove, to_binary
from digisom.por.verify import ProofInvalid, verify
from tests.por.helpers import built, leaves_in_order

ids = st.from_regex(r"id-[0-9a-z]{6}", fullmatch=True)
balance_maps = st.dictionaries(ids, st.integers(0, 2**50), min_size=2, max_size=24)


def _flip_hex(text: str, position: int) -> str:
    raw = bytearray(bytes.fromhex(text))
    raw[position % len(raw)] ^= 1 << (position % 8)
    return raw.hex()


def tampered(proof: dict[str, Any], what: str, seed: int) -> dict[str, Any]:
    changed = copy.deepcopy(proof)
    step = changed["path"][seed % len(changed["path"])]
    if what == "balance":
        changed["balance"] = proof["balance"] + 1 + seed % 5 if seed % 2 or proof["balance"] == 0 else \
            proof["balance"] - 1
    elif what == "nonce":
        changed["nonce"] = _flip_hex(proof["nonce"], seed)
    elif what == "sibling_hash":
        step["hash"] = _flip_hex(step["hash"], seed)
    elif what == "sibling_balance":
        step["balance"] = step["balance"] + 1 if seed % 2 or step["balance"] == 0 else step["balance"] - 1
    elif what == "index":
        changed["index"] = proof["index"] ^ (1 << (seed % len(proof["path"])))
    elif what == "customer_id":
        changed["customer_id"] = proof["customer_id"] + "x"
    return changed


@settings(max_examples=60, deadline=None)
@given(balance_maps, st.sampled_from(["balance", "nonce", "sibling_hash", "sibling_balance", "index", "customer_id"]),
       st.integers(0, 10**6), st.data())
def test_any_change_to_a_proof_fails(balances: dict[str, int], what: str, seed: int, data: st.DataObject) -> None:
    customer = data.draw(st.sampled_from(sorted(balances)))
    with built(balances) as (out, root):
        proof = prove(out, customer)
    verify(proof, root)
    with pytest.raises(ProofInvalid):
        verify(tampered(proof, what, seed), root)


@settings(max_examples=20, deadline=None)
@given(balance_maps)
def test_a_proof_for_another_root_fails(balances: dict[str, int]) -> None:
    customer = sorted(balances)[0]
    with built(balances) as (out, root), built(balances) as (_, other_root):
        proof = prove(out, customer)
    with pytest.raises(ProofInvalid, match="another root"):
        verify(proof, other_root)
    # Even relabelled as the other root's, its path does not hash to it.
    with pytest.raises(ProofInvalid, match="differs from the published root"):
        verify({**proof, "root": other_root["root"]}, other_root)
    with pytest.raises(ProofInvalid, match="asset"):
        verify(proof, {**root, "asset": "USDKG"})


@settings(max_examples=30, deadline=None)
@given(balance_maps)
def test_a_proof_names_no_other_customer(balances: dict[str, int]) -> None:
    customer = sorted(balances)[-1]
    with built(balances) as (out, _):
        proof = prove(out, customer)
        other_nonces = [nonce.hex() for cid, nonce, _ in leaves_in_order(out) if cid != customer]
    assert set(proof) == {"asset", "root", "total", "customer_id", "nonce", "balance", "index", "path"}
    assert all(set(step) == {"hash", "balance"} for step in proof["path"])
    text = json.dumps(proof)
    assert [other for other in balances if other != customer and other in text] == []
    # nor another customer's nonce
    assert [n for n in other_nonces if n in text] == []
    assert re.fullmatch(r"[0-9a-f]{32}", proof["nonce"])


@settings(max_examples=20, deadline=None)
@given(balance_maps)
def test_binary_form_round_trips_and_has_its_documented_size(balances: dict[str, int]) -> None:
    customer = sorted(balances)[0]
    with built(balances) as (out, root):
        proof = prove(out, customer)
    raw = to_binary(proof)
    assert len(raw) == 31 + len(customer.encode()) + 40 * root["depth"]
    assert from_binary(raw, root) == proof
    verify(from_binary(raw, root), root)
    with pytest.raises(ProofEncodingInvalid):
        from_binary(raw + b"\x00", root)


def test_depth_24_binary_proof_fits_in_1_kb() -> None:
    proof = {"customer_id": "c" * 33, "nonce": "00" * 16, "balance": 2**64 - 1, "index": 2**24 - 1,
             "path": [{"hash": "ab" * 32, "balance": 2**63} for _ in range(24)]}
    assert len(to_binary(proof)) == 1024


def test_the_verifier_is_standalone() -> None:
    source = Path(verify_module.__file__).read_text()
    imports = re.findall(r"^(?:from|import) (\S+)", source, flags=re.MULTILINE)
    assert set(imports) <= {"__future__", "hashlib", "collections.abc", "typing"}
