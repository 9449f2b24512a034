"""Commit a settlement run's ledger chains in batches (`payouts` builds the chains).

Every id is derived from the payment (payer key id, counter, payment hash) or from the
run, so posting a run again — after a crash, or a re-upload — makes the ledger answer
`exists` and moves nothing twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from digisom.kernel.gateway import TransferWriter
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


def post(ledger: TransferWriter, chains: Iterable[Sequence[Transfer]], batch_events_max: int = BATCH_EVENTS_MAX) -> int:
    """Commit `chains` in batches of whole chains; returns the transfers posted.

    Anything but `ok` or `exists` means the context was stale or a bank's float is short:
    `LEDGER_REFUSED`, and the service parks the run for an operator (the ledger remembers
    the failed ids, so a blind retry would not help)."""
    batch: list[Transfer] = []
    posted = 0

    def flush() -> None:
        nonlocal posted
        if not batch:
            return
        results = ledger.create_transfers(batch)
        refused = [(tr, r) for tr, r in zip(batch, results, strict=True) if r not in _ACCEPTED]
        if refused:
            transfer, result = refused[0]
            raise OfflineError(Reason.LEDGER_REFUSED, f"transfer {transfer.id:x}: {result.name}")
        posted += len(batch)
        batch.clear()

    for chain in chains:
        if len(batch) + len(chain) > batch_events_max:
            flush()
        batch.extend(chain)
    flush()
    return posted
