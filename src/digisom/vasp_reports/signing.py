"""Ed25519 signatures over a report's canonical bytes (`report.canonical_bytes`).

The signed message is the canonical JSON alone, with no prefix: any RFC 8785 library and
any Ed25519 library verify it. Its `format` member ("digisom-vasp-report-v1") is what
keeps a report's signature from verifying as anything else the key signs."""

from __future__ import annotations

from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from digisom.vasp_reports.report import Report, canonical_bytes

PUBLIC_KEY_BYTES: Final = 32
SIGNATURE_BYTES: Final = 64


def sign(private_key: Ed25519PrivateKey, report: Report) -> bytes:
    """The VASP's signature of `report` (tests, the demo, a VASP's own tooling)."""
    return private_key.sign(canonical_bytes(report))


def public_bytes(private_key: Ed25519PrivateKey) -> bytes:
    """The raw 32-byte public key of `private_key`."""
    return private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def verifies(public_key: bytes, signature: bytes, report: Report) -> bool:
    """Whether `signature` is `public_key`'s over `report`'s canonical bytes."""
    if len(public_key) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, canonical_bytes(report))
    except (InvalidSignature, ValueError):
        return False
    return True
