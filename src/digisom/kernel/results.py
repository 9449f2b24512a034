"""Which answers of the ledger mean "done", for every domain.

A domain derives its ids from the operation, so a retry submits the same account or
transfer again: the ledger's `exists` then means the first attempt went through, and
counts as done just like `ok`. Posting or voiding a pending transfer a second time is
answered `pending_transfer_already_posted` / `_voided`, also done.
"""

from __future__ import annotations

from typing import Final

from digisom.ledger.results import CreateAccountResult, CreateTransferResult

ACCOUNT_OK: Final = frozenset({CreateAccountResult.ok, CreateAccountResult.exists})
TRANSFER_OK: Final = frozenset({CreateTransferResult.ok, CreateTransferResult.exists})
POST_OK: Final = TRANSFER_OK | {CreateTransferResult.pending_transfer_already_posted}
VOID_OK: Final = TRANSFER_OK | {CreateTransferResult.pending_transfer_already_voided}
