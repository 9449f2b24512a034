"""Canonical JSON text: the one encoding that signed and hashed documents use, so a
signer and a verifier always agree on the bytes."""

from __future__ import annotations

import json
from typing import Any


def canonical_json(value: Any, *, ascii_only: bool = False) -> str:
    """`value` as canonical JSON: keys sorted, no spaces, non-ASCII kept (encode as UTF-8),
    and no NaN or infinity (`ValueError`: JSON has no such numbers). For documents of
    strings, integers, booleans and nulls this is RFC 8785's form.

    `ascii_only` writes non-ASCII as `\\u` escapes: the form of the formats first published
    that way (USDKG's signed bodies and reports, the reserve's price files and holdings
    root, the transparency digests), whose bytes must not change under their signatures."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=ascii_only, allow_nan=False)
