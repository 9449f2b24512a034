"""The device registry: which device key belongs to which wallet, and its certificate.

A key id (8 bytes of SHA-256 of the public key) names a device in every payment, so
two registered keys must never share one: the table's primary key refuses the second,
and the unique public key refuses certifying the same key twice.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection, select
from sqlalchemy.exc import IntegrityError

from digisom.kernel.db_errors import reraise_unless_unique
from digisom.offline import tables as t
from digisom.offline.certificates import Certificate, decode_certificate
from digisom.offline.errors import OfflineError, Reason

# Rows per IN (...) query: well under every database's bound on bound parameters.
LOOKUP_CHUNK: Final = 1000


@dataclass(frozen=True, slots=True)
class RegisteredDevice:
    """A certified device key and the wallet it pays from and is paid into."""

    certificate: Certificate
    wallet_id: str
    bank_code: str


def register(conn: Connection, device: RegisteredDevice, created_at: str) -> None:
    """Add a device; `DUPLICATE_KEY_ID` if its key id (or key) is already registered."""
    cert = device.certificate
    taken = conn.execute(
        select(t.devices.c.key_id).where(
            (t.devices.c.key_id == cert.key_id) | (t.devices.c.public_key == cert.subject_key)
        )
    ).first()
    if taken is not None:
        raise OfflineError(Reason.DUPLICATE_KEY_ID, cert.key_id.hex())
    try:
        conn.execute(
            t.devices.insert().values(
                key_id=cert.key_id, public_key=cert.subject_key, wallet_id=device.wallet_id,
                bank_code=device.bank_code, certificate=cert.encoded, created_at=created_at,
            )
        )
    except IntegrityError as error:
        reraise_unless_unique(error)
        raise OfflineError(Reason.DUPLICATE_KEY_ID, cert.key_id.hex()) from None


def get(conn: Connection, key_id: bytes) -> RegisteredDevice | None:
    """The registered device with `key_id`, or None."""
    found = lookup(conn, [key_id])
    return found.get(key_id)


def lookup(conn: Connection, key_ids: Collection[bytes]) -> dict[bytes, RegisteredDevice]:
    """The registered devices among `key_ids`, by key id."""
    ids = list(key_ids)
    found: dict[bytes, RegisteredDevice] = {}
    for start in range(0, len(ids), LOOKUP_CHUNK):
        query = select(t.devices).where(t.devices.c.key_id.in_(ids[start : start + LOOKUP_CHUNK]))
        for row in conn.execute(query):
            found[row.key_id] = RegisteredDevice(decode_certificate(row.certificate), row.wallet_id, row.bank_code)
    return found
