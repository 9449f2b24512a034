"""Strict deterministic CBOR for offline messages: encode canonically, decode or refuse.

Every signed offline message is an envelope `[body, signature]` where `body` is the
canonical CBOR encoding of an array of fields. Decoding re-encodes what it read and
demands the same bytes, so each message has exactly one encoding: hashes and
signatures then identify a message, not one of its spellings.
"""

from __future__ import annotations

import hashlib
from typing import Final

import cbor2

from digisom.offline.errors import OfflineError, Reason

SIGNATURE_BYTES: Final = 64
HASH_BYTES: Final = 32
KEY_ID_BYTES: Final = 8
PUBLIC_KEY_BYTES: Final = 32
# Largest unsigned integer a field may hold: CBOR's 8-byte head, kept below 2**63 so
# that every value also fits a signed 64-bit database column.
MAX_UINT: Final = 2**63 - 1


def encode(fields: list[object]) -> bytes:
    """The canonical (RFC 8949 §4.2.1 core deterministic) CBOR encoding of `fields`."""
    return cbor2.dumps(fields, canonical=True)


def decode_strict(data: object, max_bytes: int) -> object:
    """Decode one canonical CBOR item of at most `max_bytes`, or raise `OfflineError`."""
    if type(data) is not bytes:
        raise OfflineError(Reason.MALFORMED, "payload must be bytes")
    if len(data) > max_bytes:
        raise OfflineError(Reason.TOO_LARGE, f"{len(data)} > {max_bytes} bytes")
    try:
        value = cbor2.loads(data)
        again = cbor2.dumps(value, canonical=True)
    # Hostile bytes meet a third-party decoder here: whatever it raises means "malformed".
    except Exception as error:
        raise OfflineError(Reason.MALFORMED, type(error).__name__) from None
    if again != data:
        # Covers trailing bytes, non-shortest heads, indefinite lengths, unsorted maps.
        raise OfflineError(Reason.NON_CANONICAL)
    return value


# Bytes that follow the initial byte for additional information 24..27 (RFC 8949 §3).
_ARGUMENT_BYTES: Final = {24: 1, 25: 2, 26: 4, 27: 8}
# Smallest argument each length may carry in the shortest form (§4.2.1).
_SHORTEST_MINIMUM: Final = {1: 24, 2: 1 << 8, 4: 1 << 16, 8: 1 << 32}
MAJOR_UINT: Final = 0
MAJOR_BYTES: Final = 2
MAJOR_ARRAY: Final = 4


class NotShortestForm(Exception):
    """A head that `read_head` does not accept; the caller falls back to `decode_strict`."""


def read_head(data: bytes, position: int) -> tuple[int, int, int]:
    """(major type, argument, next position) of the definite, shortest-form CBOR head at
    `position`; `NotShortestForm` for anything else (including running out of bytes).

    A fast path for fixed layouts: what it accepts, `decode_strict` accepts too."""
    if position >= len(data):
        raise NotShortestForm("end of data")
    initial = data[position]
    major, info = initial >> 5, initial & 0x1F
    if info < 24:
        return major, info, position + 1
    size = _ARGUMENT_BYTES.get(info)
    end = position + 1 + (size or 0)
    if size is None or end > len(data):
        raise NotShortestForm("reserved, indefinite or truncated head")
    argument = int.from_bytes(data[position + 1 : end], "big")
    if argument < _SHORTEST_MINIMUM[size]:
        raise NotShortestForm("argument not in its shortest form")
    return major, argument, end


def as_array(value: object, length: int) -> list[object]:
    """`value` as a CBOR array of exactly `length` items."""
    if type(value) is not list or len(value) != length:
        raise OfflineError(Reason.MALFORMED, f"expected an array of {length}")
    return value


def as_uint(value: object, maximum: int = MAX_UINT) -> int:
    """`value` as an unsigned integer no larger than `maximum`."""
    if type(value) is not int or not 0 <= value <= maximum:
        raise OfflineError(Reason.MALFORMED, "expected an unsigned integer in range")
    return value


def as_bytes(value: object, length: int) -> bytes:
    """`value` as a byte string of exactly `length` bytes."""
    if type(value) is not bytes or len(value) != length:
        raise OfflineError(Reason.MALFORMED, f"expected {length} bytes")
    return value


def open_envelope(data: object, max_bytes: int) -> tuple[bytes, bytes]:
    """Split a signed envelope `[body, signature]` into its two byte strings."""
    fields = as_array(decode_strict(data, max_bytes), 2)
    body = fields[0]
    if type(body) is not bytes:
        raise OfflineError(Reason.MALFORMED, "body must be a byte string")
    return body, as_bytes(fields[1], SIGNATURE_BYTES)


def seal_envelope(body: bytes, signature: bytes) -> bytes:
    """The envelope `[body, signature]`, canonically encoded."""
    return encode([body, signature])


def digest(data: bytes) -> bytes:
    """SHA-256 of `data`."""
    return hashlib.sha256(data).digest()


def key_id(public_key: bytes) -> bytes:
    """The 8-byte key id of a raw Ed25519 public key: the head of its SHA-256.

    8 bytes keep payments small; a chance collision becomes likely only around 2**32
    keys, and the device registry must refuse to certify a key whose id is taken."""
    return hashlib.sha256(public_key).digest()[:KEY_ID_BYTES]
