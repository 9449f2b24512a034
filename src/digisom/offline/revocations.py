"""The revocation list: revoked device keys, published as lists signed by the root.

Every change makes a new list with the next sequence number holding every revoked key
(devices refuse an older list, so nobody is un-revoked by replaying one). The list is
public: it names key ids, never wallets or people.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import Connection, select

from digisom.offline import authority
from digisom.offline import tables as t
from digisom.offline.certificates import RevocationList, decode_revocation_list, issue_revocation_list
from digisom.offline.registry import LOOKUP_CHUNK


def latest(conn: Connection, now_s: int, created_at: str) -> RevocationList:
    """The newest list; the first (empty) one is issued on first use."""
    row = conn.execute(
        select(t.revocation_lists.c.encoded).order_by(t.revocation_lists.c.sequence.desc()).limit(1)
    ).first()
    if row is not None:
        return decode_revocation_list(row.encoded)
    return _issue(conn, 1, now_s, created_at)


def revoke(conn: Connection, reasons: Mapping[bytes, str], now_s: int, created_at: str) -> RevocationList:
    """Revoke the keys in `reasons` (key id -> why) not revoked yet; a new list if any."""
    current = latest(conn, now_s, created_at)
    fresh = {key_id: why for key_id, why in reasons.items() if not current.revokes(key_id)}
    if not fresh:
        return current
    sequence = current.sequence + 1
    conn.execute(
        t.revocations.insert(),
        [{"key_id": key_id, "sequence": sequence, "reason": why[:64]} for key_id, why in sorted(fresh.items())],
    )
    return _issue(conn, sequence, now_s, created_at)


def revoked_at_sequence(conn: Connection, key_ids: Collection[bytes]) -> dict[bytes, int]:
    """Key id -> sequence of the first list that revoked it, for the revoked among `key_ids`."""
    ids = list(key_ids)
    found: dict[bytes, int] = {}
    for start in range(0, len(ids), LOOKUP_CHUNK):
        query = select(t.revocations.c.key_id, t.revocations.c.sequence).where(
            t.revocations.c.key_id.in_(ids[start : start + LOOKUP_CHUNK])
        )
        found.update({row.key_id: row.sequence for row in conn.execute(query)})
    return found


def _issue(conn: Connection, sequence: int, now_s: int, created_at: str) -> RevocationList:
    root_signer, _root = authority.root(conn, now_s, created_at)
    revoked = conn.execute(select(t.revocations.c.key_id)).scalars().all()
    crl = issue_revocation_list(root_signer, sequence, now_s, revoked)
    conn.execute(t.revocation_lists.insert().values(sequence=sequence, encoded=crl.encoded, issued_at_s=now_s))
    return crl


