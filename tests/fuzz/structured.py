"""Structure-aware inputs: well-formed JSON, CSV, CBOR and signed tokens with hostile values,
so that a decoder's checks past its syntax are fuzzed too (a mutated byte rarely gets there)."""

from __future__ import annotations

import csv
import io
import json
import time
from typing import Any

import cbor2
import jwt
from hypothesis import strategies as st

from digisom.http.auth import ALGORITHM, AUDIENCE, ISSUER
from tests.fuzz.samples import SERVER_KEY

_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**130), 2**130), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20), st.sampled_from(["1", "-1", "0.5", "KGS", "LEGL", "2026-11-30", "", "Person", "BTC"]),
)
JSON_VALUES = st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=8,
)


@st.composite
def json_like(draw: st.DrawFn, seed: Any) -> bytes:
    """`seed` (decoded JSON) with one value somewhere replaced by an arbitrary one."""
    def replace(node: Any) -> Any:
        if isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node)))
            return {**node, key: replace(node[key]) if draw(st.booleans()) else draw(JSON_VALUES)}
        if isinstance(node, list) and node:
            at = draw(st.integers(0, len(node) - 1))
            return [*node[:at], replace(node[at]), *node[at + 1:]]
        return draw(JSON_VALUES)

    return json.dumps(replace(seed), ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


@st.composite
def json_lines(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed's JSON lines with one line's value replaced somewhere (one line: cheap to draw)."""
    lines = draw(st.sampled_from(seeds)).splitlines() or [b""]
    at = draw(st.integers(0, len(lines) - 1))
    document = _parsed(lines[at])
    lines[at] = draw(json_like(document)) if document is not None else lines[at]
    return b"\n".join(lines)


def _parsed(seed: bytes) -> Any:
    try:
        return json.loads(seed)
    except (ValueError, RecursionError):
        return None  # a regression seed that is not JSON: nothing to vary structurally


def json_documents(seeds: list[bytes]) -> st.SearchStrategy[bytes]:
    documents = [document for document in map(_parsed, seeds) if document is not None]
    return st.sampled_from(documents).flatmap(json_like)


_CELLS = st.one_of(st.text(max_size=12), st.sampled_from(["-1", "0", "1.5", "1,5", "1e3", "", " 7 ", "KGS", "0.0001",
                                                          "18446744073709551616", "2026-02-30", "Kyrgyzaltyn"]))


@st.composite
def csv_rows(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed's CSV rows, with cells replaced, rows dropped or doubled, written by `csv`."""
    try:
        rows = list(csv.reader(io.StringIO(draw(st.sampled_from(seeds)).decode("utf-8-sig"), newline="")))
    except (csv.Error, UnicodeDecodeError):
        rows = []  # a regression seed that is not CSV: nothing to vary structurally
    for _ in range(draw(st.integers(1, 4))):
        if not rows:
            break
        row = draw(st.integers(0, len(rows) - 1))
        choice = draw(st.integers(0, 3))
        if choice == 0 and rows[row]:
            cell = draw(st.integers(0, len(rows[row]) - 1))
            rows[row] = [*rows[row][:cell], draw(_CELLS), *rows[row][cell + 1:]]
        elif choice == 1:
            rows.insert(row, rows[row])
        elif choice == 2:
            rows[row] = [*rows[row], draw(_CELLS)]
        else:
            del rows[row]
    out = io.StringIO()
    csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows(rows)
    return out.getvalue().encode()


_CBOR_VALUES = st.recursive(
    st.one_of(st.integers(-(2**70), 2**70), st.binary(max_size=40), st.text(max_size=8), st.none(), st.booleans(),
              st.floats()),
    lambda inner: st.lists(inner, max_size=10), max_leaves=30,
)


@st.composite
def cbor_envelopes(draw: st.DrawFn, seeds: list[bytes]) -> bytes:
    """A seed's envelope re-encoded canonically with one body field replaced (the signature
    stays the old one: decoding checks structure, not the signature)."""
    body, signature = cbor2.loads(draw(st.sampled_from(seeds)))
    fields = cbor2.loads(body)
    at = draw(st.integers(0, len(fields) - 1))
    fields[at] = draw(_CBOR_VALUES)
    if draw(st.booleans()):
        fields = fields[: draw(st.integers(0, len(fields)))]
    new_body = cbor2.dumps(fields, canonical=True)
    return cbor2.dumps([new_body, signature], canonical=True)


_CLAIM_NAMES = ("iss", "aud", "sub", "role", "iat", "nbf", "exp", "jti", "bank")


@st.composite
def signed_tokens(draw: st.DrawFn) -> bytes:
    """Tokens signed with the server's key whose claims are arbitrary: the checks after the
    signature are the ones a byte mutation never reaches."""
    now = int(time.time())
    claims: dict[str, Any] = {"iss": ISSUER, "aud": AUDIENCE, "sub": "s", "role": "registrar", "iat": now,
                              "exp": now + 600}
    for name in draw(st.lists(st.sampled_from(_CLAIM_NAMES), max_size=4)):
        if draw(st.booleans()):
            claims[name] = draw(JSON_VALUES)
        else:
            claims.pop(name, None)
    try:
        return jwt.encode(claims, SERVER_KEY, algorithm=ALGORITHM).encode()
    except (TypeError, ValueError, OverflowError):
        return b"not-a-token"  # claims PyJWT cannot encode (e.g. NaN): no token to send
