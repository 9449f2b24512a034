"""The hash-chained journal: one record per committed batch.

A record's payload is a fixed-layout binary encoding of what the batch created:
accounts (60 bytes each), expirations (24 bytes) and transfers (128 bytes, as
resolved by the engine). `hash = sha256(prev_hash || payload)`, so changing any byte
of any record breaks every hash after it. The auditor (`digisom.ledger.audit`) replays
the payloads alone to recompute every balance.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from digisom.errors import DigisomError
from digisom.ledger.model import Account, Transfer

MAGIC: Final = b"DSJ1"
_HEADER: Final = struct.Struct(">4sQQIII")  # magic, seq, timestamp_max, #accounts, #expired, #transfers
_ACCOUNT: Final = struct.Struct(">16s16sQIIHHQ")  # id, ud128, ud64, ud32, ledger, code, flags, ts
_EXPIRED: Final = struct.Struct(">16sQ")  # pending id, timestamp
_TRANSFER: Final = struct.Struct(">16s16s16s16s16s16sQIIIHHQ")
# id, debit, credit, amount, pending_id, ud128, ud64, ud32, timeout_s, ledger, code, flags, ts


class JournalError(DigisomError):
    """A journal payload that cannot be decoded."""


@dataclass(frozen=True, slots=True)
class BatchPayload:
    """The decoded content of one journal record."""

    seq: int
    timestamp_max: int
    accounts: list[Account]
    expired: list[tuple[int, int]]
    transfers: list[Transfer]


def chain_hash(prev_hash: bytes, payload: bytes) -> bytes:
    """The hash of a record: sha256 over the previous hash and this payload."""
    return hashlib.sha256(prev_hash + payload).digest()


def encode(
    seq: int,
    timestamp_max: int,
    accounts: Sequence[Account],
    expired: Sequence[tuple[int, int]],
    transfers: Sequence[Transfer],
) -> bytes:
    """Encode one batch's record payload."""
    parts = [_HEADER.pack(MAGIC, seq, timestamp_max, len(accounts), len(expired), len(transfers))]
    pack_account = _ACCOUNT.pack
    parts.extend(
        pack_account(
            a.id.to_bytes(16, "big"), a.user_data_128.to_bytes(16, "big"), a.user_data_64,
            a.user_data_32, a.ledger, a.code, a.flags, a.timestamp,
        )
        for a in accounts
    )
    pack_expired = _EXPIRED.pack
    parts.extend(pack_expired(pending_id.to_bytes(16, "big"), ts) for pending_id, ts in expired)
    pack_transfer = _TRANSFER.pack
    parts.extend(
        pack_transfer(
            t.id.to_bytes(16, "big"), t.debit_account_id.to_bytes(16, "big"),
            t.credit_account_id.to_bytes(16, "big"), t.amount.to_bytes(16, "big"),
            t.pending_id.to_bytes(16, "big"), t.user_data_128.to_bytes(16, "big"),
            t.user_data_64, t.user_data_32, t.timeout_s, t.ledger, t.code, t.flags, t.timestamp,
        )
        for t in transfers
    )
    return b"".join(parts)


def transfer_count(payload: bytes) -> int:
    """How many transfers a record payload holds, by its header alone."""
    if len(payload) < _HEADER.size:
        raise JournalError("payload shorter than its header")
    return int(_HEADER.unpack_from(payload)[5])


def decode(payload: bytes) -> BatchPayload:
    """Decode a record payload, or `JournalError` if its layout is wrong."""
    if len(payload) < _HEADER.size:
        raise JournalError("payload shorter than its header")
    magic, seq, timestamp_max, n_accounts, n_expired, n_transfers = _HEADER.unpack_from(payload)
    if magic != MAGIC:
        raise JournalError(f"bad magic {magic!r}")
    expected = _HEADER.size + n_accounts * _ACCOUNT.size + n_expired * _EXPIRED.size
    expected += n_transfers * _TRANSFER.size
    if len(payload) != expected:
        raise JournalError(f"payload is {len(payload)} bytes, its header says {expected}")
    big = int.from_bytes
    offset = _HEADER.size
    accounts = []
    for _ in range(n_accounts):
        aid, ud128, ud64, ud32, ledger, code, flags, ts = _ACCOUNT.unpack_from(payload, offset)
        offset += _ACCOUNT.size
        accounts.append(Account(big(aid, "big"), ledger, code, flags, big(ud128, "big"), ud64, ud32, timestamp=ts))
    expired = []
    for _ in range(n_expired):
        pending_id, ts = _EXPIRED.unpack_from(payload, offset)
        offset += _EXPIRED.size
        expired.append((big(pending_id, "big"), ts))
    transfers = []
    for fields in _TRANSFER.iter_unpack(payload[offset:]):
        tid, debit, credit, amount, pending_id, ud128, ud64, ud32, timeout_s, ledger, code, flags, ts = fields
        transfers.append(
            Transfer(
                big(tid, "big"), big(debit, "big"), big(credit, "big"), big(amount, "big"), ledger, code,
                flags, big(pending_id, "big"), timeout_s, big(ud128, "big"), ud64, ud32, ts,
            )
        )
    return BatchPayload(seq, timestamp_max, accounts, expired, transfers)
