"""Commit a settlement run's ledger chains in batches (`payouts` builds the chains).

Every id is derived from the payment (payer key id, counter, payment hash) or from the
run, so posting a run again — after a crash, or a re-upload — makes the ledger answer
`exists` and moves nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from digisom.kernel.gateway import StreamingTransferWriter
from digisom.kernel.results import TRANSFER_OK as _ACCEPTED
from digisom.ledger.model import BATCH_EVENTS_MAX, Transfer
from digisom.offline.errors import OfflineError, Reason


@dataclass(frozen=True, slots=True)
class PaidPayment:
    """One paid payment of a run, as stored: who pays whom, from where, how much."""

    payer_key_id: bytes
    counter: int
    payment_hash: bytes
    payee_id: bytes
    reserve_tyiyn: int
    guarantee_tyiyn: int


def post(ledger: StreamingTransferWriter, chains: Iterable[Sequence[Transfer]],
         batch_events_max: int = BATCH_EVENTS_MAX) -> int:
    """Commit `chains` in batches of whole chains, pipelined (`create_transfers_many`: the
    ledger runs batch N+1 while batch N commits); returns the transfers posted.

    Anything but `ok` or `exists` means the context was stale or a bank's float is short:
    `LEDGER_REFUSED`, and the service parks the run for an operator (the ledger remembers
    the failed ids, so a blind retry would not help). The stream stops at the first
    refused batch; the batch after it may already be written (pipelined), which a retry
    of the parked run sees: it posts only the chains the ledger does not have."""
    batches = list(_batches(chains, batch_events_max))
    posted = 0
    stream = ledger.create_transfers_many(batches)
    try:
        for batch, results in zip(batches, stream, strict=True):
            refused = [(tr, r) for tr, r in zip(batch, results, strict=True) if r not in _ACCEPTED]
            if refused:
                transfer, result = refused[0]
                raise OfflineError(Reason.LEDGER_REFUSED, f"transfer {transfer.id:x}: {result.name}")
            posted += len(batch)
    finally:
        close = getattr(stream, "close", None)  # a generator: stop the ledger's pipeline now
        if close is not None:
            close()
    return posted


def _batches(chains: Iterable[Sequence[Transfer]], batch_events_max: int) -> Iterator[list[Transfer]]:
    """Whole chains (linked: all or nothing) in batches of at most `batch_events_max` events."""
    batch: list[Transfer] = []
    for chain in chains:
        if batch and len(batch) + len(chain) > batch_events_max:
            yield batch
            batch = []
        batch.extend(chain)
    if batch:
        yield batch
