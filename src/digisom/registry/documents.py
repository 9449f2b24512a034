"""VASP application documents, stored by SHA-256: the declared hash must be the content's,
the size within `DOCUMENT_BYTES_MAX` (the table's CHECK says so too); the same document
again is answered, not stored twice."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from digisom.kernel.clock import iso_utc
from digisom.registry import tables
from digisom.registry.assets import check_sha256
from digisom.registry.errors import BadSha256, DocumentTooLarge, InvalidEntry, UnknownDocument

DOCUMENT_BYTES_MAX = tables.DOCUMENT_BYTES_MAX
NAME_CHARS_MAX = 200


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """A stored document as an application names it."""

    name: str
    sha256: str
    size_bytes: int

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "sha256": self.sha256, "size_bytes": self.size_bytes}


@dataclass(frozen=True, slots=True)
class DocumentIn:
    """A document as uploaded: its VASP, name, content and the SHA-256 the uploader declares."""

    vasp_id: str
    name: str
    content: bytes
    declared_sha256: str


def _checked(document: DocumentIn) -> DocumentRef:
    """The reference of `document` if its hash, name and size hold, else a typed refusal."""
    check_sha256(document.declared_sha256, "sha256")
    if not 0 < len(document.name) <= NAME_CHARS_MAX:
        raise InvalidEntry(f"a document name has 1..{NAME_CHARS_MAX} characters", field="name")
    size = len(document.content)
    if not 0 < size <= DOCUMENT_BYTES_MAX:
        raise DocumentTooLarge(f"a document has 1..{DOCUMENT_BYTES_MAX} bytes, not {size}",
                               limit_bytes=DOCUMENT_BYTES_MAX, size_bytes=size)
    actual = hashlib.sha256(document.content).hexdigest()
    if actual != document.declared_sha256:
        raise BadSha256(f"the content's SHA-256 is {actual}, not the declared {document.declared_sha256}",
                        field="sha256")
    return DocumentRef(document.name, actual, size)


class Documents:
    """The documents table."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self._engine = engine
        self._clock = clock

    def store(self, vasp_id: str, name: str, content: bytes, declared_sha256: str) -> DocumentRef:
        """Keep `content` for `vasp_id` if its SHA-256 is `declared_sha256` and it is within the limit."""
        (ref,) = self.store_many([DocumentIn(vasp_id, name, content, declared_sha256)])
        return ref

    def store_many(self, documents: Sequence[DocumentIn]) -> list[DocumentRef]:
        """Keep every document in one transaction (the seed's hundreds), each checked as by
        `store`; one refused, none is kept."""
        refs = [_checked(d) for d in documents]
        with self._engine.begin() as conn:
            for document, ref in zip(documents, refs, strict=True):
                if self.find(conn, document.vasp_id, ref.sha256) is None:
                    conn.execute(tables.documents.insert().values(
                        vasp_id=document.vasp_id, sha256=ref.sha256, name=ref.name, size_bytes=ref.size_bytes,
                        content=document.content, stored_at=iso_utc(self._clock())))
        return refs

    @staticmethod
    def find(conn: Connection, vasp_id: str, sha256: str) -> DocumentRef | None:
        """The document `sha256` of `vasp_id`, or None."""
        row = conn.execute(select(tables.documents.c.name, tables.documents.c.size_bytes).where(
            tables.documents.c.vasp_id == vasp_id, tables.documents.c.sha256 == sha256)).first()
        return DocumentRef(row.name, sha256, int(row.size_bytes)) if row else None

    @staticmethod
    def require(conn: Connection, vasp_id: str, sha256: str) -> DocumentRef:
        """The document, or `UnknownDocument`."""
        check_sha256(sha256, "documents[].sha256")
        found = Documents.find(conn, vasp_id, sha256)
        if found is None:
            raise UnknownDocument(f"no document {sha256} uploaded for {vasp_id}", sha256=sha256)
        return found
