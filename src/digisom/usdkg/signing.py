"""Ed25519 signatures over canonical messages: what a custodian, an auditor or a price
signer signs is a JSON object with sorted keys and no spaces, after a tag naming its
purpose, so a signature for one purpose never verifies as another."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from digisom.kernel.canonical_json import canonical_json

PUBLIC_KEY_BYTES: Final = 32
SIGNATURE_BYTES: Final = 64

MOVEMENT_TAG: Final = "digisom-usdkg-movement-v1"
PRICE_TAG: Final = "digisom-usdkg-price-v1"
AUDIT_TAG: Final = "digisom-usdkg-audit-v1"
RESOLUTION_TAG: Final = "digisom-usdkg-audit-resolution-v1"


def message(tag: str, body: Mapping[str, Any]) -> bytes:
    """The bytes signed for `body` under purpose `tag`."""
    return tag.encode() + b"\n" + canonical_json(body, ascii_only=True).encode()


def sign(private_key: Ed25519PrivateKey, tag: str, body: Mapping[str, Any]) -> bytes:
    """A signature of `body` under purpose `tag` (tests, demos and signing tools)."""
    return private_key.sign(message(tag, body))


def public_bytes(private_key: Ed25519PrivateKey) -> bytes:
    """The raw 32-byte public key of `private_key`."""
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def verifies(public_key: bytes, signature: bytes, tag: str, body: Mapping[str, Any]) -> bool:
    """Whether `signature` is `public_key`'s over `body` under purpose `tag`."""
    if len(public_key) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message(tag, body))
    except (InvalidSignature, ValueError):
        return False
    return True
