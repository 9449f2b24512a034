"""The port the record pages read: a published record with its inclusion proof against the
log's newest signed tree head, that head's signature and its chain anchor; and a page of
the newest records. The transparency log fills `RECORD_LOG` (the composition root); until
it is wired the pages say the log is not available.

The page does not take the log's word: `verify` re-checks everything with the
transparency package's pure verifiers (RFC 9162 inclusion from the leaf's own bytes, the
Ed25519 signature over the tree head, the anchor's digest of that head)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from digisom.http.services import Slot
from digisom.transparency import merkle
from digisom.transparency.records import RECORD_ID_PATTERN as LOG_RECORD_ID_PATTERN
from digisom.transparency.sth import TreeHead, signed_by, sth_hash

# Record ids as the log names them (the log's own pattern, so no id it logs is refused here).
RECORD_ID_PATTERN: Final = LOG_RECORD_ID_PATTERN
RECORD_ID_CHARS_MAX: Final = 200
RECENT_PAGE_SIZE: Final = 20


@dataclass(frozen=True, slots=True)
class AnchorView:
    """The chain transaction said to carry a tree head's digest."""

    chain_id: int
    tx_hash: str
    block_number: int
    sth_hash: bytes


@dataclass(frozen=True, slots=True)
class PublishedRecord:
    """A record as published: its bytes, where it sits in the tree, the proof of it, the
    signed head the proof is for, the log's public key and the head's anchor (if any)."""

    record_id: str
    kind: str
    published_at: str | None  # ISO 8601 UTC; None when the entry does not say (altered)
    leaf: bytes  # the record's canonical bytes, as hashed into the log
    leaf_index: int
    head: TreeHead
    audit_path: Sequence[bytes]
    public_key: bytes
    anchor: AnchorView | None

    @property
    def tree_size(self) -> int:
        return self.head.tree_size

    @property
    def root_hash(self) -> bytes:
        return self.head.root_hash


@dataclass(frozen=True, slots=True)
class RecordSummary:
    """One line of the list of recent records."""

    record_id: str
    kind: str
    published_at: str | None
    leaf_index: int


@dataclass(frozen=True, slots=True)
class RecentPage:
    """A page of records, newest first, of the signed tree of `tree_size`."""

    items: Sequence[RecordSummary]
    tree_size: int
    has_next: bool


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the page checked. `anchored` is None when the head has no anchor."""

    included: bool
    signed: bool
    anchored: bool | None

    @property
    def holds(self) -> bool:
        """The record verifies: in the signed tree, under a valid signature, and its anchor
        (if any) carries that head."""
        return self.included and self.signed and self.anchored is not False


class RecordLog(Protocol):
    """What the record pages need from the transparency log."""

    def record(self, record_id: str) -> PublishedRecord | None:
        """The record with `record_id` and its inclusion proof, or None if there is none."""

    def recent(self, page: int, page_size: int) -> RecentPage:
        """Page `page` (from 1) of the signed log's records, newest first."""


RECORD_LOG: Final = Slot[RecordLog]("portal.record_log")


def inclusion_verifies(record: PublishedRecord) -> bool:
    """RFC 9162 §2.1.3.2: does the audit path lead from the leaf's own bytes to the root?"""
    return merkle.verify_inclusion(record.leaf_index, record.tree_size, merkle.leaf_hash(record.leaf),
                                   record.audit_path, record.root_hash)


def verify(record: PublishedRecord) -> Verdict:
    """Check the proof, the head's signature and the anchor's digest, here on the server."""
    anchored = None if record.anchor is None else record.anchor.sth_hash == sth_hash(record.head)
    return Verdict(inclusion_verifies(record), signed_by(record.head, record.public_key), anchored)
