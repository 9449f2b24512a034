"""Registered signers: custodians, auditors and price signers, each an Ed25519 public key
under a name and one role. A signature counts only under the key registered for the
name it claims, in the role the rule needs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from digisom.kernel.clock import iso_utc
from digisom.kernel.db_errors import reraise_unless_unique
from digisom.usdkg import signing, tables
from digisom.usdkg.errors import BadSignature, KeyConflict, UnknownKey
from digisom.usdkg.model import SignerRole


def register(engine: Engine, name: str, role: SignerRole, public_key: bytes, at: datetime) -> None:
    """Register `name`'s key in `role`; a name or key taken already is refused."""
    if not name or len(name) > tables.NAME_CHARS_MAX:
        raise UnknownKey(f"a signer's name must be 1-{tables.NAME_CHARS_MAX} characters")
    if len(public_key) != signing.PUBLIC_KEY_BYTES:
        raise BadSignature("an Ed25519 public key is 32 bytes")
    try:
        with engine.begin() as conn:
            conn.execute(
                tables.signers.insert().values(
                    name=name, role=role.value, public_key=public_key, registered_at=iso_utc(at)
                )
            )
    except IntegrityError as error:
        reraise_unless_unique(error)
        raise KeyConflict(f"the signer {name!r} or its key is registered already") from error


def key_of(conn: Connection, name: str, role: SignerRole) -> bytes:
    """`name`'s key in `role`; refused if `name` holds no such role."""
    key = conn.execute(
        select(tables.signers.c.public_key).where(tables.signers.c.name == name, tables.signers.c.role == role.value)
    ).scalar_one_or_none()
    if key is None:
        raise UnknownKey(f"{name!r} is not a registered {role.value}")
    return bytes(key)


def check(conn: Connection, name: str, role: SignerRole, signature: bytes, tag: str, body: Mapping[str, Any]) -> None:
    """Refuse unless `signature` is `name`'s, registered in `role`, over `body` under `tag`."""
    if not signing.verifies(key_of(conn, name, role), signature, tag, body):
        raise BadSignature(f"the signature is not {name!r}'s over this {tag.split('-')[2]}")


def listed(engine: Engine) -> list[tuple[str, SignerRole, bytes, str]]:
    """Every registered signer as (name, role, public key, registered at), by name: the
    keys anyone needs to verify a movement, a price file or an audit again."""
    with engine.connect() as conn:
        rows = conn.execute(select(tables.signers).order_by(tables.signers.c.name)).mappings().all()
    return [(r["name"], SignerRole(r["role"]), bytes(r["public_key"]), r["registered_at"]) for r in rows]
