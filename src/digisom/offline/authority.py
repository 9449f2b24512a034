"""The certificate authorities: the central bank's root and each commercial bank's key.

Keys are created on first use and kept in `offline_signing_keys` (pilot: software keys;
production: HSMs behind `keys.Signer`). A bank's key is certified by the root; a device
certificate is issued only with the key of the bank that holds the device's wallet.
"""

from __future__ import annotations

import secrets
from typing import Final

from sqlalchemy import Connection, select

from digisom.offline import tables as t
from digisom.offline.certificates import Certificate, Role, decode_certificate, issue_certificate
from digisom.offline.keys import SoftwareSigner

ROOT_VALIDITY_S: Final = 10 * 365 * 86_400
BANK_VALIDITY_S: Final = 5 * 365 * 86_400
# Certificates are backdated a day so that a device whose clock runs late accepts them.
BACKDATE_S: Final = 86_400


def root(conn: Connection, now_s: int, created_at: str) -> tuple[SoftwareSigner, Certificate]:
    """The central bank's root key and self-signed certificate, created on first use."""
    row = conn.execute(select(t.signing_keys).where(t.signing_keys.c.role == int(Role.CENTRAL_BANK))).first()
    if row is not None:
        return SoftwareSigner.from_seed(row.seed), decode_certificate(row.certificate)
    seed = secrets.token_bytes(32)
    signer = SoftwareSigner.from_seed(seed)
    cert = issue_certificate(
        signer, Role.CENTRAL_BANK, signer.public_key, now_s - BACKDATE_S, now_s + ROOT_VALIDITY_S
    )
    _insert(conn, cert, None, seed, created_at)
    return signer, cert


def bank(conn: Connection, bank_code: str, now_s: int, created_at: str) -> tuple[SoftwareSigner, Certificate]:
    """A commercial bank's key and its certificate from the root, created on first use."""
    row = conn.execute(select(t.signing_keys).where(t.signing_keys.c.bank_code == bank_code)).first()
    if row is not None:
        return SoftwareSigner.from_seed(row.seed), decode_certificate(row.certificate)
    root_signer, _root_cert = root(conn, now_s, created_at)
    seed = secrets.token_bytes(32)
    signer = SoftwareSigner.from_seed(seed)
    cert = issue_certificate(
        root_signer, Role.COMMERCIAL_BANK, signer.public_key, now_s - BACKDATE_S, now_s + BANK_VALIDITY_S
    )
    _insert(conn, cert, bank_code, seed, created_at)
    return signer, cert


def bank_certificates(conn: Connection) -> dict[str, Certificate]:
    """Every commercial bank's certificate, by bank code."""
    rows = conn.execute(select(t.signing_keys).where(t.signing_keys.c.bank_code.is_not(None)))
    return {row.bank_code: decode_certificate(row.certificate) for row in rows}


def bank_code_of(conn: Connection, bank_key_id: bytes) -> str | None:
    """The bank code whose key has `bank_key_id`."""
    found = conn.execute(select(t.signing_keys.c.bank_code).where(t.signing_keys.c.key_id == bank_key_id)).first()
    return found.bank_code if found is not None else None


def _insert(conn: Connection, cert: Certificate, bank_code: str | None, seed: bytes, created_at: str) -> None:
    conn.execute(
        t.signing_keys.insert().values(
            key_id=cert.key_id, role=int(cert.role), bank_code=bank_code, seed=seed,
            certificate=cert.encoded, created_at=created_at,
        )
    )
