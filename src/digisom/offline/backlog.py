"""Split a large backlog of uploads into settlement runs by payer.

A payer's whole chain (its own uploads and every receipt of a payment it made) lands in
one part, so each part settles that payer exactly as one run over the whole backlog
would: dedup, signatures, fraud (per payer) and payouts depend only on the payer's own
payments and book. Payloads that name no payer (junk) all go to one part, so a
copy uploaded twice is still counted once. What a split run cannot see is another part's
new fraud findings: a payee caught in a later part as a fraudulent payer still gets the
guarantee in an earlier one (runs are final, as between two syncs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from digisom.offline.errors import OfflineError, Reason
from digisom.offline.payment import referenced_key_ids
from digisom.offline.upload import Receipt, Upload

# Payloads per run of a backlog: large enough that a run's fixed costs (the book's load,
# a transaction, a revocation list) are small per payment, small enough that storing and
# posting one run overlaps with settling the next.
RUN_PAYLOADS_DEFAULT: Final = 200_000


def split_by_payer(uploads: Sequence[Upload], run_payloads: int = RUN_PAYLOADS_DEFAULT) -> list[list[Upload]]:
    """The uploads in parts of about `run_payloads` payloads (a payer is never split, so
    a part may hold more), each part's uploads and payloads in their original order."""
    if run_payloads < 1:
        raise OfflineError(Reason.MALFORMED, f"run_payloads must be at least 1, not {run_payloads}")
    payload_counts: dict[bytes, int] = {}  # payer key id -> its payloads, in order of first appearance
    for upload in uploads:
        for payload in (*upload.sent, *(r.payload for r in upload.received)):
            payer = _payer(payload)
            payload_counts[payer] = payload_counts.get(payer, 0) + 1
    part_of: dict[bytes, int] = {}
    parts_total, in_part = 0, 0
    for payer, count in payload_counts.items():
        if in_part and in_part + count > run_payloads:
            parts_total, in_part = parts_total + 1, 0
        part_of[payer] = parts_total
        in_part += count
    parts: list[list[Upload]] = [[] for _ in range(parts_total + 1 if payload_counts else 0)]
    for upload in uploads:
        sent: list[list[bytes]] = [[] for _ in parts]
        received: list[list[Receipt]] = [[] for _ in parts]
        for payload in upload.sent:
            sent[part_of[_payer(payload)]].append(payload)
        for receipt in upload.received:
            received[part_of[_payer(receipt.payload)]].append(receipt)
        for index, part in enumerate(parts):
            if sent[index] or received[index]:
                part.append(Upload(upload.device_key_id, tuple(sent[index]), tuple(received[index])))
    return parts


_NO_PAYER: Final = b""  # junk: every such payload in one part


def _payer(payload: bytes) -> bytes:
    ids = referenced_key_ids(payload)
    return _NO_PAYER if ids is None else ids[0]
