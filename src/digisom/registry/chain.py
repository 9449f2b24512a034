"""The register's hash chain, pure: how an event is hashed and signed, and how anyone
checks a chain of them with the register's public key (no database, no network).

An event's hash is SHA-256 over a tag and the canonical JSON (sorted keys, no spaces) of
its seq, stream, kind, body, actor, time and the previous event's hash; the signature is
the service key's Ed25519 signature of those 32 bytes. The first event's previous hash
is 64 zeros. Changing, removing, inserting or reordering any event breaks the chain at
that event; forging one needs the key."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from digisom.kernel.canonical_json import canonical_json

TAG: Final = b"digisom-register-event-v1\n"
GENESIS_HASH: Final = "0" * 64
PUBLIC_KEY_BYTES: Final = 32


@dataclass(frozen=True, slots=True)
class Event:
    """One change to the register, as stored and exported."""

    seq: int
    stream: str
    kind: str
    body: Mapping[str, Any]
    actor: str
    at: str
    prev_hash: str
    hash: str
    signature: str

    def as_json(self) -> dict[str, Any]:
        """The event as exported."""
        return {"seq": self.seq, "stream": self.stream, "kind": self.kind, "body": dict(self.body),
                "actor": self.actor, "at": self.at, "prev_hash": self.prev_hash, "hash": self.hash,
                "signature": self.signature}


def event_hash(seq: int, stream: str, kind: str, body: Mapping[str, Any], actor: str, at: str,
               prev_hash: str) -> str:
    """The hex SHA-256 an event is chained and signed by."""
    content = {"seq": seq, "stream": stream, "kind": kind, "body": body, "actor": actor, "at": at,
               "prev_hash": prev_hash}
    return hashlib.sha256(TAG + canonical_json(content).encode()).hexdigest()


def seal(key: Ed25519PrivateKey, seq: int, stream: str, kind: str, body: Mapping[str, Any], actor: str, at: str,
         prev_hash: str) -> Event:
    """The event with its hash and the service key's signature."""
    digest = event_hash(seq, stream, kind, body, actor, at, prev_hash)
    signature = key.sign(bytes.fromhex(digest)).hex()
    return Event(seq, stream, kind, body, actor, at, prev_hash, digest, signature)


def public_key_hex(key: Ed25519PrivateKey) -> str:
    """The raw 32-byte public key of `key`, hex."""
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def _signed(public_key: Ed25519PublicKey, digest: str, signature: str) -> bool:
    try:
        public_key.verify(bytes.fromhex(signature), bytes.fromhex(digest))
    except (InvalidSignature, ValueError):
        return False
    return True


def _event(raw: Any) -> Event:
    if not isinstance(raw, dict):
        raise TypeError("an event is a JSON object")
    body = raw["body"]
    if not isinstance(body, dict):
        raise TypeError("an event's body is a JSON object")
    fields = ("seq", "stream", "kind", "actor", "at", "prev_hash", "hash", "signature")
    seq, stream, kind, actor, at, prev_hash, digest, signature = (raw[name] for name in fields)
    if not isinstance(seq, int) or isinstance(seq, bool) or not all(
            isinstance(v, str) for v in (stream, kind, actor, at, prev_hash, digest, signature)):
        raise TypeError("seq is an integer, every other field a string")
    return Event(seq, stream, kind, body, actor, at, prev_hash, digest, signature)


def verify_chain(raw_events: Iterable[Any], public_key_raw: bytes) -> list[str]:
    """What is wrong with the chain `raw_events` (exported JSON objects), each naming the
    event by its seq; empty when every event is in order, hashed and signed by the key."""
    if len(public_key_raw) != PUBLIC_KEY_BYTES:
        return [f"the public key has {len(public_key_raw)} bytes, not {PUBLIC_KEY_BYTES}"]
    if not isinstance(raw_events, list | tuple):  # decoded JSON: anything else is not an export's array
        return ["the events are not a JSON array"]
    public_key = Ed25519PublicKey.from_public_bytes(public_key_raw)
    problems: list[str] = []
    prev_hash, expected_seq = GENESIS_HASH, 1
    for position, raw in enumerate(raw_events, start=1):
        try:
            event = _event(raw)
            recomputed = event_hash(event.seq, event.stream, event.kind, event.body, event.actor, event.at,
                                    event.prev_hash)
        # UnicodeEncodeError: a lone surrogate ("\ud800" in the JSON) has no UTF-8 to hash.
        except (KeyError, TypeError, UnicodeEncodeError) as error:
            problems.append(f"event #{position}: malformed ({error})")
            break
        name = f"event seq {event.seq} ({event.kind} {event.stream})"
        if event.seq != expected_seq:
            problems.append(f"{name}: expected seq {expected_seq} (an event is missing, inserted or reordered)")
        if event.prev_hash != prev_hash:
            problems.append(f"{name}: prev_hash does not match the previous event's hash")
        if recomputed != event.hash:
            problems.append(f"{name}: its content does not match its hash (altered)")
        elif not _signed(public_key, event.hash, event.signature):
            problems.append(f"{name}: the signature is not the register key's")
        prev_hash, expected_seq = event.hash, event.seq + 1
    return problems
