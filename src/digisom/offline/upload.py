"""What a device uploads when it reconnects: the payments it sent and those it received.

Uploads are evidence, not commands: the server re-verifies every payment and keys it
by (payer key id, counter, payment hash), so uploading the same payment twice, or by
both payer and payee, counts once. Payments carry their own signatures; the receipt
metadata does not, so the sync API must authenticate the uploading device (its key)
before `device_key_id` is believed: only a payee's own receipts unlock the guarantee.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Receipt:
    """A payment the device accepted, with the context it accepted it in."""

    payload: bytes
    received_at_s: int
    # Sequence of the revocation list the payee held when it accepted: the server can
    # tell an honest payee (list too old to know) from one that ignored a revocation.
    revocation_sequence: int


@dataclass(frozen=True, slots=True)
class Upload:
    """One device's upload at sync."""

    device_key_id: bytes
    sent: tuple[bytes, ...]
    received: tuple[Receipt, ...]
