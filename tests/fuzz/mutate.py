"""Inputs for a decoder: its corpus seeds mutated as a byte-level fuzzer does, plus raw bytes.

Hypothesis has no coverage feedback of its own; starting from valid seeds and mutating
them (bit flips, cuts, splices of another seed, format tokens, repeated spans) keeps most
inputs deep in the decoder instead of failing at its first byte.
"""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import strategies as st

_INTERESTING: tuple[bytes, ...] = (b"0", b"-1", b"255", b"65536", b"2147483648", b"18446744073709551615",
                                   b"340282366920938463463374607431768211456", b"1" * 400, b"\x00", b"\xff\xfe",
                                   b"\xc3\x28", b"\xe2\x80\xae", b"\xf0\x9f\x92\xb0", b"%s", b"\\")
MUTATIONS_MAX = 5


@st.composite
def mutated(draw: st.DrawFn, seeds: Sequence[bytes], tokens: Sequence[bytes]) -> bytes:
    """A seed with up to `MUTATIONS_MAX` mutations."""
    data = bytearray(draw(st.sampled_from(seeds)))
    dictionary = (*tokens, *_INTERESTING)
    for _ in range(draw(st.integers(1, MUTATIONS_MAX))):
        kind = draw(st.integers(0, 7))
        at = draw(st.integers(0, len(data)))
        span = draw(st.integers(1, 16))
        if kind == 0 and data:
            at = min(at, len(data) - 1)
            data[at] ^= draw(st.integers(1, 255))
        elif kind == 1:
            del data[at:at + span]
        elif kind == 2:
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == 3:
            data[at:at] = draw(st.sampled_from(dictionary))
        elif kind == 4:
            del data[at:]
        elif kind == 5:
            other = draw(st.sampled_from(seeds))
            start = draw(st.integers(0, len(other)))
            data[at:at] = other[start:start + draw(st.integers(1, 256))]
        elif kind == 6:
            data[at:at] = bytes(data[at:at + span]) * draw(st.integers(2, 64))
        else:
            data[at:at + span] = draw(st.sampled_from(dictionary))
    return bytes(data)


def inputs(seeds: Sequence[bytes], tokens: Sequence[bytes],
           structured: st.SearchStrategy[bytes] | None = None) -> st.SearchStrategy[bytes]:
    """Mostly mutated seeds; some raw bytes; the target's structure-aware inputs if it has them."""
    options = [mutated(seeds, tokens), mutated(seeds, tokens), mutated(seeds, tokens), st.binary(max_size=512),
               st.sampled_from(list(seeds))]
    if structured is not None:
        options += [structured, structured]
    return st.one_of(*options)
