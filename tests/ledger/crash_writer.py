"""The writer that test_crash.py kills: `python tests/ledger/crash_writer.py URL`.

It opens the store, opens the accounts (idempotently), asks the store which batches are
already there, and from the next one on commits batch after batch of transfers until it
is killed (pipelined, through `create_transfers_many`), printing each batch's number once
its results are yielded (the acknowledgement a client would get). Every batch's
transfers are known in advance from its number, so the test can check each batch after
a SIGKILL: all there, or none.
"""

from __future__ import annotations

import sys
from typing import Final

from digisom.ledger.model import AMOUNT_MAX, Account, AccountFlags, Transfer, TransferFlags
from digisom.ledger.results import CreateAccountResult, CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.stores.url import open_store

KGS: Final = 417
# Small batches keep the writer in its commits most of the time (where a kill matters),
# and the store small enough to verify 20 times over.
BATCH_TRANSFERS: Final = 100
# Batches the test looks for; the writer stops there (it never gets near it in a run).
BATCHES_MAX: Final = 8000
CENTRAL_BANK, COMMERCIAL_BANK, TREASURY, MERCHANT, PENSIONER = 1, 2, 3, 4, 5
DMNEC: Final = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
F = TransferFlags

ACCOUNTS: Final = [
    Account(CENTRAL_BANK, KGS, 1),  # the issuer: no limit
    Account(COMMERCIAL_BANK, KGS, 1, DMNEC),
    Account(TREASURY, KGS, 1, DMNEC),
    Account(MERCHANT, KGS, 2, DMNEC),
    Account(PENSIONER, KGS, 2, DMNEC),
]


def transfer_id(batch: int, position: int) -> int:
    """Batch b owns the ids 1_000_000 + b * 1000 + [0, BATCH_TRANSFERS)."""
    return 1_000_000 + batch * 1000 + position


def batch_transfers(batch: int) -> list[Transfer]:
    """Batch `batch`'s transfers: plain payments, linked two-leg payments, a hold posted in
    the same batch, and a hold voided by the next batch (so batches depend on each other)."""
    transfers = []
    for position in range(BATCH_TRANSFERS):
        tid = transfer_id(batch, position)
        amount = 1 + (batch * 7 + position) % 50
        slot = position % 10
        if slot in (0, 1, 2, 3):
            payee = (COMMERCIAL_BANK, TREASURY, MERCHANT, PENSIONER)[slot]
            transfers.append(Transfer(tid, CENTRAL_BANK, payee, amount, KGS, 1))
        elif slot == 4:  # a pension paid on, as one linked chain with the next leg
            transfers.append(Transfer(tid, CENTRAL_BANK, PENSIONER, amount, KGS, 1, F.LINKED))
        elif slot == 5:
            transfers.append(Transfer(tid, PENSIONER, MERCHANT, amount, KGS, 1))
        elif slot == 6:
            transfers.append(Transfer(tid, CENTRAL_BANK, TREASURY, amount, KGS, 1, F.PENDING, timeout_s=3600))
        elif slot == 7:  # post the hold just placed, whole
            pending_id = transfer_id(batch, position - 1)
            transfers.append(Transfer(tid, 0, 0, AMOUNT_MAX, 0, 0, F.POST_PENDING_TRANSFER, pending_id=pending_id))
        elif slot == 8:  # a small hold (not 0: a hold moves value), voided by the next batch
            transfers.append(Transfer(tid, COMMERCIAL_BANK, MERCHANT, 1, KGS, 1, F.PENDING))
        elif batch > 0:  # void the previous batch's hold
            pending_id = transfer_id(batch - 1, position - 1)
            transfers.append(Transfer(tid, 0, 0, 0, 0, 0, F.VOID_PENDING_TRANSFER, pending_id=pending_id))
        else:
            transfers.append(Transfer(tid, CENTRAL_BANK, MERCHANT, amount, KGS, 1))
    return transfers


def next_batch(ledger: Ledger) -> int:
    """The first batch not in the store: batches are committed in order, one at a time."""
    present = ledger.lookup_transfers([transfer_id(batch, 0) for batch in range(BATCHES_MAX)])
    return max(((t.id - 1_000_000) // 1000 for t in present), default=-1) + 1


def main(url: str) -> None:
    store = open_store(url)
    ledger = Ledger(store, pipeline_events_min=1)  # its batches are small: pipeline them anyway
    opened = ledger.create_accounts(ACCOUNTS)
    if any(r not in (CreateAccountResult.ok, CreateAccountResult.exists) for r in opened):
        sys.exit(f"opening the accounts: {[r.name for r in opened]}")
    first = next_batch(ledger)
    # Pipelined: batch b+1 runs in the engine while batch b commits, so a kill also lands
    # between the two; a batch is acknowledged only once `create_transfers_many` yields it.
    stream = ledger.create_transfers_many(batch_transfers(b) for b in range(first, BATCHES_MAX))
    for batch, results in enumerate(stream, first):
        if any(r is not CreateTransferResult.ok for r in results):
            sys.exit(f"batch {batch}: {sorted({r.name for r in results})}")
        print(batch, flush=True)
    store.close()


if __name__ == "__main__":
    main(sys.argv[1])
