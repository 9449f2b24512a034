"""The digital som's door to the ledger: chains in through the `Submitter` (one writer
thread batching concurrent requests), reads through a separate reading `Ledger`.

A chain is a list of `Leg`s; each leg's transfer id is derived from the operation id,
so resubmitting an operation names the same transfers and the ledger answers `exists`.
Chains pass the digital som's ledger gateway (`digisom.kernel.gateway`): the chart of
accounts decides which codes it may post and which accounts it may debit.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from digisom.cbdc.accounts import transfer_id
from digisom.cbdc.errors import CbdcError, IdRetired, InsufficientFunds, LedgerRefused, WalletClosed
from digisom.errors import invariant
from digisom.kernel.chart import CHART, LEDGER_KGS, Domain
from digisom.kernel.gateway import LedgerGateway
from digisom.kernel.results import ACCOUNT_OK as _ACCOUNT_OK
from digisom.kernel.results import TRANSFER_OK as _OK
from digisom.ledger.model import PAGE_LIMIT_MAX, Account, AccountFilter, Transfer, TransferFlags
from digisom.ledger.results import CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.ledger.store import CodeTotals, JournalRecord
from digisom.ledger.submitter import Submitter


@dataclass(frozen=True, slots=True)
class Leg:
    """One transfer of a chain, named for its id and for error messages."""

    name: str
    debit_account_id: int
    credit_account_id: int
    amount_tyiyn: int
    code: int  # a `TransferCode`; another domain's code only in a plan that domain posts (`cbdc.credits`)
    debit_label: str
    flags: int = 0


class LedgerPort:
    """Submits chains and reads balances; thread-safe."""

    def __init__(self, submitter: Submitter, reader: Ledger) -> None:
        self._submitter = submitter
        self._reader = reader
        # The reading store is one connection: one reader at a time.
        self._read_lock = threading.Lock()
        self._gateway = LedgerGateway(Domain.CBDC, CHART, submitter, self)

    def ensure_accounts(self, accounts: Sequence[Account]) -> None:
        """Create `accounts` (already existing ones are fine); anything else is a bug."""
        results = self._submitter.create_accounts(accounts)
        for account, result in zip(accounts, results, strict=True):
            invariant(result in _ACCOUNT_OK, f"account {account.id:x} code {account.code}: {result.name}")

    def submit(self, operation_id: str, legs: Sequence[Leg]) -> None:
        """Apply `legs` as one linked chain; raise the typed error of the first failing leg."""
        error = self.submit_chains([(operation_id, legs)])[0]
        if error is not None:
            raise error

    def submit_chains(self, chains: Sequence[tuple[str, Sequence[Leg]]]) -> list[CbdcError | None]:
        """Apply independent linked chains (operation id, legs) in one ledger batch (at most
        `BATCH_EVENTS_MAX` legs in all); the typed error of each chain that failed, or None."""
        transfers = [
            Transfer(
                id=transfer_id(operation_id, leg.name),
                debit_account_id=leg.debit_account_id,
                credit_account_id=leg.credit_account_id,
                amount=leg.amount_tyiyn,
                ledger=LEDGER_KGS,
                code=int(leg.code),
                flags=leg.flags | (int(TransferFlags.LINKED) if index < len(legs) - 1 else 0),
            )
            for operation_id, legs in chains
            for index, leg in enumerate(legs)
        ]
        results = iter(self._gateway.create_transfers(transfers))
        errors: list[CbdcError | None] = []
        for _, legs in chains:
            error = None
            for leg, result in zip(legs, [next(results) for _ in legs], strict=True):
                if error is None and result not in _OK and result is not CreateTransferResult.linked_event_failed:
                    error = _typed(leg, result)
            errors.append(error)
        return errors

    def transfers_by_id(self, ids: Sequence[int]) -> dict[int, Transfer]:
        """The transfers that exist among `ids`, by id."""
        found: dict[int, Transfer] = {}
        with self._read_lock:
            for start in range(0, len(ids), PAGE_LIMIT_MAX):
                for transfer in self._reader.lookup_transfers(ids[start : start + PAGE_LIMIT_MAX]):
                    found[transfer.id] = transfer
        return found

    def accounts(self, ids: Sequence[int]) -> dict[int, Account]:
        """The accounts among `ids`, by id."""
        return {acct.id: acct for acct in self.lookup_accounts(ids)}

    def lookup_accounts(self, ids: Sequence[int]) -> list[Account]:
        """The accounts that exist among `ids` (the gateway reads debited accounts' codes here)."""
        found: list[Account] = []
        with self._read_lock:
            for start in range(0, len(ids), PAGE_LIMIT_MAX):
                found += self._reader.lookup_accounts(ids[start : start + PAGE_LIMIT_MAX])
        return found

    def account(self, account_id: int) -> Account:
        """One account that must exist."""
        found = self.accounts([account_id])
        invariant(account_id in found, f"ledger account {account_id:x} is missing")
        return found[account_id]

    def transfers(self, query: AccountFilter) -> list[Transfer]:
        """A page of an account's transfers."""
        with self._read_lock:
            return self._reader.get_account_transfers(query)

    def code_totals(self, ledger: int) -> list[CodeTotals]:
        """Per account code of `ledger`, its accounts' summed balances (one set-based read)."""
        with self._read_lock:
            return self._reader.code_totals(ledger)

    def journal(self, after_seq: int, limit: int) -> list[JournalRecord]:
        """Journal records after `after_seq`."""
        with self._read_lock:
            return self._reader.store.scan_journal(after_seq, limit)


def _typed(leg: Leg, result: CreateTransferResult) -> CbdcError:
    if result is CreateTransferResult.exceeds_credits:
        return InsufficientFunds(f"not enough on the {leg.debit_label} for {leg.name}", account=leg.debit_label)
    if result is CreateTransferResult.id_already_failed:
        return IdRetired("the ledger refused this operation before; send it again with a new idempotency key")
    closed = (CreateTransferResult.debit_account_already_closed, CreateTransferResult.credit_account_already_closed)
    if result in closed:
        return WalletClosed("a wallet in this payment is closed")
    return LedgerRefused(f"{leg.name}: {result.name}", result=result.name)
