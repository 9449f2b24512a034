"""Public ids. Every id an operation creates is derived from its operation id (the
caller's principal and idempotency key), so a retried request names the same rows and
the same ledger transfers and can never create or pay twice."""

from __future__ import annotations

import base64
import hashlib
from typing import Final

from digisom.kernel.access import Actor

# 24 base32 characters = 120 bits: unguessable and collision-free in practice.
_ID_CHARS: Final = 24


def operation_id(actor: Actor, idempotency_key: str) -> str:
    """The operation a request names: who asked, and their key."""
    return f"{actor.principal}|{idempotency_key}"


def public_id(prefix: str, operation: str, salt: str = "") -> str:
    """A pseudonymous id such as `w…` (wallet) or `p…` (payment), derived from `operation`."""
    digest = hashlib.blake2b(f"{prefix}\x1f{salt}\x1f{operation}".encode(), digest_size=15).digest()
    return prefix + base64.b32encode(digest).decode().lower()[:_ID_CHARS]
