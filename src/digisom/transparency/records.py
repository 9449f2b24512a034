"""What the log holds: records, each canonical JSON bytes that are the Merkle leaf's entry.

A record is (record_id, kind, published_at, body). Its entry is the canonical JSON (sorted
keys, no spaces, UTF-8) of those four and a format version; the leaf hash is RFC 9162's
SHA-256(0x00 || entry). Anyone holding the entry recomputes the leaf hash; nothing else
of the server is trusted."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from digisom.kernel.canonical_json import canonical_json
from digisom.transparency.errors import RecordInvalid

FORMAT: Final = "digisom-log-record-v1"
KINDS: Final = frozenset({"issuance_report", "disbursement_run", "public_spending", "register_event",
                          "licence_event", "usdkg_audit", "usdkg_coverage", "por_root", "ledger_head", "kgst_reserve",
                          "vasp_volume", "reserve_publication"})
RECORD_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$"
_RECORD_ID: Final = re.compile(RECORD_ID_PATTERN)
# A published report is a few KiB; the largest (a coverage report with its bar list) stays
# well under this, and a page of entries stays a few MiB at most.
ENTRY_BYTES_MAX: Final = 64 * 1024




@dataclass(frozen=True, slots=True)
class Record:
    """One published thing, as the log keeps it."""

    record_id: str
    kind: str
    published_at: str
    body: Mapping[str, Any]

    def entry(self) -> bytes:
        """The bytes the leaf hash is taken of."""
        return canonical_json({"format": FORMAT, "record_id": self.record_id, "kind": self.kind,
                          "published_at": self.published_at, "body": self.body}).encode()


def _no_floats(value: Any) -> bool:
    if isinstance(value, float):
        return False
    if isinstance(value, Mapping):
        return all(isinstance(k, str) and _no_floats(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return all(_no_floats(v) for v in value)
    return value is None or isinstance(value, str | int | bool)


def record(record_id: str, kind: str, published_at: str, body: Mapping[str, Any]) -> Record:
    """A checked record; `RecordInvalid` naming what is wrong."""
    if not _RECORD_ID.fullmatch(record_id):
        raise RecordInvalid(f"a record id is 1 to 200 of A-Z a-z 0-9 . _ : @ -, not {record_id[:40]!r}")
    if kind not in KINDS:
        raise RecordInvalid(f"unknown record kind {kind[:40]!r}")
    if not _no_floats(body):
        raise RecordInvalid("a record's body is JSON of strings, integers, booleans and nulls (money is never a float)")
    made = Record(record_id, kind, published_at, dict(body))
    if len(made.entry()) > ENTRY_BYTES_MAX:
        raise RecordInvalid(f"record {record_id} is larger than {ENTRY_BYTES_MAX} bytes")
    return made


def parse_entry(entry: bytes) -> Record:
    """The record an entry encodes; `RecordInvalid` if it is not one (or not canonical)."""
    try:
        raw = json.loads(entry)
    except (ValueError, UnicodeDecodeError):
        raise RecordInvalid("an entry is canonical JSON") from None
    if not isinstance(raw, dict) or set(raw) != {"format", "record_id", "kind", "published_at", "body"} \
            or raw["format"] != FORMAT or not isinstance(raw["body"], dict) \
            or not all(isinstance(raw[k], str) for k in ("record_id", "kind", "published_at")):
        raise RecordInvalid(f"an entry is a {FORMAT} object")
    found = record(raw["record_id"], raw["kind"], raw["published_at"], raw["body"])
    if found.entry() != entry:
        raise RecordInvalid(f"entry {found.record_id} is not in canonical form")
    return found
