"""The log's JSON: hashes and signatures in lowercase hex, sizes and indices integers."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from digisom.transparency.log import Anchor, Entry
from digisom.transparency.sth import TreeHead, sth_hash


class TreeHeadOut(BaseModel):
    """A signed tree head: RFC 9162's TreeHeadDataV2 fields and the Ed25519 signature over
    them; `sth_hash` is what the chain anchor carries; `public_key` checks the signature."""

    tree_size: int
    root_hash: str
    timestamp_ms: int
    signature: str
    sth_hash: str
    public_key: str


class TreeHeadList(BaseModel):
    items: list[TreeHeadOut]


class EntryOut(BaseModel):
    """Leaf `leaf_index`: the entry (canonical JSON, the leaf hash's input, as a string) and
    the record it encodes."""

    leaf_index: int
    leaf_hash: str
    entry: str
    record: dict[str, Any]


class EntryPage(BaseModel):
    tree_size: int
    start: int
    items: list[EntryOut]


class RecordOut(BaseModel):
    """A record, its leaf, the signed head it is proved against and the audit path."""

    leaf_index: int
    leaf_hash: str
    entry: str
    record: dict[str, Any]
    tree_head: TreeHeadOut
    inclusion_path: list[str]


class ConsistencyOut(BaseModel):
    first: int
    second: int
    consistency_path: list[str]


class AnchorOut(BaseModel):
    """The chain transaction whose calldata is a head's `sth_hash` (raw: its hash is recomputable)."""

    tree_size: int
    sth_hash: str
    chain_id: int
    tx_hash: str
    raw_tx: str
    block_number: int


class AnchorList(BaseModel):
    items: list[AnchorOut]


def head_out(head: TreeHead, public_key: bytes) -> TreeHeadOut:
    return TreeHeadOut(tree_size=head.tree_size, root_hash=head.root_hash.hex(), timestamp_ms=head.timestamp_ms,
                       signature=head.signature.hex(), sth_hash=sth_hash(head).hex(), public_key=public_key.hex())


def entry_out(entry: Entry) -> EntryOut:
    return EntryOut(leaf_index=entry.leaf_index, leaf_hash=entry.leaf_hash.hex(), entry=entry.entry.decode(),
                    record=json.loads(entry.entry))


def anchor_out(anchor: Anchor) -> AnchorOut:
    return AnchorOut(**anchor.as_json())
