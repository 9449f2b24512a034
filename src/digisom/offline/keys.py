"""Signing keys: the `Signer` seam and the software key the pilot uses.

The pilot protects device keys in software (BIS Project Polaris's lowest level). A
secure element or TEE implements the same `Signer` protocol without ever exporting
the private key, so the rest of the package does not change when hardware arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from digisom.offline.codec import PUBLIC_KEY_BYTES, SIGNATURE_BYTES


class Signer(Protocol):
    """Something that holds an Ed25519 private key and signs with it."""

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        ...

    def sign(self, message: bytes) -> bytes:
        """A 64-byte Ed25519 signature over `message`."""
        ...


@dataclass(frozen=True, slots=True)
class SoftwareSigner:
    """An Ed25519 key held in the device's memory (pilot protection level: software)."""

    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> SoftwareSigner:
        """A fresh random key."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> SoftwareSigner:
        """A key derived from a 32-byte seed (tests and benchmarks need repeatable keys)."""
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def public_key(self) -> bytes:
        """The raw 32-byte Ed25519 public key."""
        return self.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def sign(self, message: bytes) -> bytes:
        """A 64-byte Ed25519 signature over `message`."""
        return self.private_key.sign(message)


def signature_valid(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """Whether `signature` is a valid Ed25519 signature of `message` under `public_key`."""
    if len(public_key) != PUBLIC_KEY_BYTES or len(signature) != SIGNATURE_BYTES:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
