"""A checkpoint: log what the other domains publish, the ledger journal's head, sign a tree
head and anchor it on a chain. The ports are filled by the composition root
(`digisom.api.transparency_wiring`): this domain knows no other."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Final, Protocol

from digisom.kernel.locks import process_lock
from digisom.transparency import sth
from digisom.transparency.log import Anchor, TransparencyLog
from digisom.transparency.sth import TreeHead


@dataclass(frozen=True, slots=True)
class Publication:
    """One record a domain publishes: its id (stable: the same thing gets the same id),
    its kind and its body."""

    record_id: str
    kind: str
    body: Mapping[str, Any]


LOCK_NAMESPACE: Final = "transparency.checkpoint"


# What a domain has published, read when a checkpoint runs.
Source = Callable[[], Iterable[Publication]]


@dataclass(frozen=True, slots=True)
class JournalHead:
    """The ledger journal's newest batch: its sequence number and hash (hex)."""

    seq: int
    hash_hex: str


class Anchorer(Protocol):
    """Puts a 32-byte digest on a chain in a transaction."""

    def anchor(self, digest: bytes) -> tuple[int, str, bytes, int]:
        """(chain id, transaction hash, the raw signed transaction, block number), once mined."""
        ...


def ledger_head_record(head: JournalHead) -> Publication:
    """The `ledger_head` record of a journal head (one per head: the same head is logged once)."""
    body = {"journal_seq": head.seq, "journal_hash": head.hash_hex}
    return Publication(f"ledger_head:{head.seq}", "ledger_head", body)


def checkpoint(log: TransparencyLog, sources: Sequence[Source], journal_head: Callable[[], JournalHead],
               anchorer: Anchorer | None) -> TreeHead:
    """Log every source's records (ids already logged are skipped), then the journal's
    head, sign the tree and anchor every head not anchored yet (no anchorer: the heads
    stay unanchored and say so in /anchors)."""
    for source in sources:
        for item in source():
            log.append(item.record_id, item.kind, dict(item.body))
    head_record = ledger_head_record(journal_head())
    log.append(head_record.record_id, head_record.kind, dict(head_record.body))
    head = log.sign_head()
    if anchorer is not None:
        pending = log.unanchored()
        # Every head since the last anchor, not only this one: a round whose anchor failed (a
        # node down) left its head unanchored, and verify-public wants every head anchored.
        # With no anchor yet (anchoring newly turned on), only this head: the history before
        # is not sent as a burst of transactions, it stays signed and unanchored.
        for unanchored in pending if log.anchors(limit=1) else [head]:
            digest = sth.sth_hash(unanchored)
            chain_id, tx_hash, raw_tx, block_number = anchorer.anchor(digest)
            log.record_anchor(Anchor(unanchored.tree_size, digest, chain_id, tx_hash, raw_tx, block_number))
    return head


class Checkpoints:
    """Checkpoints of one log, one at a time across every process on its database (the
    worker of each `digisom serve` process, `digisom log checkpoint` beside them).

    Unserialised, two checkpoints interleave: one logs the journal's head N+1 before the
    other logs N (the log then says the journal went back), both sign the same size (one
    insert fails), both send an anchor transaction for the same head. On PostgreSQL the
    lock is an advisory lock (ADR 0005); on a SQLite file, a lock file beside it
    (`kernel.locks.process_lock`)."""

    def __init__(self, log: TransparencyLog, sources: Sequence[Source], journal_head: Callable[[], JournalHead],
                 anchorer: Anchorer | None, lock: AbstractContextManager[None] | None = None) -> None:
        self.log = log
        self._sources = sources
        self._journal_head = journal_head
        self._anchorer = anchorer
        self._lock = lock if lock is not None else process_lock(LOCK_NAMESPACE, log.engine)

    def run(self) -> TreeHead:
        """One checkpoint (`checkpoint`), under the lock."""
        with self._lock:
            return checkpoint(self.log, self._sources, self._journal_head, self._anchorer)
