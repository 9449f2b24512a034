"""The port the record-lookup page reads: a published record and its inclusion proof in an
RFC 9162 Merkle tree. The transparency log fills `RECORD_LOG`; until it is wired the page
says the log is not available. The page checks the proof itself (`inclusion_verifies`)
rather than trusting the log's word."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from digisom.http.services import Slot

# Record ids as the log names them: a leaf index or a hex hash, never longer.
RECORD_ID_PATTERN: Final = r"^[A-Za-z0-9._:-]{1,128}$"
RECORD_ID_CHARS_MAX: Final = 128
PROOF_HASHES_MAX: Final = 64  # a tree of up to 2**64 leaves


@dataclass(frozen=True, slots=True)
class PublishedRecord:
    """A record as published: its bytes, where it sits in the tree and the proof of it."""

    record_id: str
    kind: str
    published_at: str  # ISO 8601 UTC
    leaf: bytes  # the record's canonical bytes, as hashed into the log
    leaf_index: int
    tree_size: int
    root_hash: bytes  # of the signed tree head the proof is for
    audit_path: Sequence[bytes]


class RecordLog(Protocol):
    """What the lookup page needs from the transparency log."""

    def record(self, record_id: str) -> PublishedRecord | None:
        """The record with `record_id` and its inclusion proof, or None if there is none."""


RECORD_LOG: Final = Slot[RecordLog]("portal.record_log")


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def inclusion_verifies(record: PublishedRecord) -> bool:
    """RFC 9162 section 2.1.3.2: does the audit path lead from the leaf to the root?"""
    index, last = record.leaf_index, record.tree_size - 1
    if not 0 <= index <= last or len(record.audit_path) > PROOF_HASHES_MAX:
        return False
    node = hashlib.sha256(b"\x00" + record.leaf).digest()
    for sibling in record.audit_path:
        if last == 0:
            return False
        if index % 2 == 1 or index == last:
            node = _node(sibling, node)
            if index % 2 == 0:
                while index % 2 == 0 and index != 0:
                    index, last = index >> 1, last >> 1
        else:
            node = _node(node, sibling)
        index, last = index >> 1, last >> 1
    return last == 0 and node == record.root_hash
