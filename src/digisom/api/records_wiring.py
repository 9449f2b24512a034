"""The portal's record pages over the transparency log: the log's rows turned into the
portal's `PublishedRecord`s. Nothing is checked here; the portal checks what it is given
(`digisom.portal.records.verify`), so an altered row shows as one that does not verify."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from fastapi import FastAPI

from digisom.http.services import filled, provide
from digisom.portal.records import RECORD_LOG, AnchorView, PublishedRecord, RecentPage, RecordSummary
from digisom.transparency.errors import LogNotFound
from digisom.transparency.http.slots import TRANSPARENCY_LOG
from digisom.transparency.log import Entry, TransparencyLog


def _fields(entry: Entry) -> tuple[str, str | None]:
    """The kind and publication time an entry states; what it does not state (an altered
    row) is shown as unknown rather than refused: the proof then fails."""
    try:
        raw: Any = json.loads(entry.entry)
    except ValueError:
        return "?", None
    if not isinstance(raw, dict):
        return "?", None
    kind, published_at = raw.get("kind"), raw.get("published_at")
    return (kind if isinstance(kind, str) else "?"), (published_at if _moment(published_at) else None)


def _moment(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


class LogRecords:
    """`digisom.portal.records.RecordLog` over a `TransparencyLog`."""

    def __init__(self, log: TransparencyLog) -> None:
        self.log = log

    def record(self, record_id: str) -> PublishedRecord | None:
        try:
            found = self.log.inclusion(record_id)
        except LogNotFound:
            return None
        anchors = self.log.anchors(after_size=found.head.tree_size - 1, limit=1)
        anchor = next((AnchorView(a.chain_id, a.tx_hash, a.block_number, a.sth_hash) for a in anchors
                       if a.tree_size == found.head.tree_size), None)
        kind, published_at = _fields(found.entry)
        return PublishedRecord(found.entry.record_id, kind, published_at, found.entry.entry, found.entry.leaf_index,
                               found.head, found.path, self.log.public_key, anchor)

    def recent(self, page: int, page_size: int) -> RecentPage:
        try:
            size = self.log.newest_head().tree_size
        except LogNotFound:
            return RecentPage((), 0, False)
        end = size - (page - 1) * page_size
        if end <= 0:
            return RecentPage((), size, False)
        entries = self.log.entries(max(0, end - page_size), end)
        items = [RecordSummary(e.record_id, *_fields(e), e.leaf_index) for e in reversed(entries)]
        return RecentPage(items, size, end - page_size > 0)


def attach(app: FastAPI) -> None:
    """Fill the portal's record slot with the log already wired into `app`."""
    provide(app, RECORD_LOG, LogRecords(filled(app, TRANSPARENCY_LOG)))
