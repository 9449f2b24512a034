"""An in-memory `LedgerStore`: the reference adapter for tests and the engine's peer.

It keeps the same tables as the SQL stores in dicts. `commit` applies a batch whole or
not at all (it validates before it mutates), like a database transaction.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection

from digisom.errors import invariant
from digisom.ledger.model import Account, AccountFilter, Balance, Pending, PendingState, Transfer
from digisom.ledger.store import (
    GENESIS_HASH,
    BatchReads,
    CodeTotals,
    CommittedBatch,
    JournalHead,
    JournalRecord,
    LedgerTotals,
    read_batch_one_by_one,
)


class MemoryStore:
    """A `LedgerStore` in process memory; lost when the process ends."""

    def __init__(self) -> None:
        self._accounts: dict[int, Account] = {}
        self._transfers: dict[int, Transfer] = {}
        self._transfer_order: list[tuple[int, int]] = []  # (timestamp, id), ascending
        self._transfer_at: dict[int, Transfer] = {}  # by timestamp
        self._pendings: dict[int, Pending] = {}
        self._failed: dict[int, int] = {}
        self._history: dict[int, list[Balance]] = {}
        self._totals: dict[int, LedgerTotals] = {}
        self._journal: list[JournalRecord] = []
        self._head = JournalHead(0, GENESIS_HASH, 0)
        self._in_write = False

    def begin(self) -> JournalHead:
        """Start a write; there is one writer, so no lock is needed."""
        invariant(not self._in_write, "begin() inside a write")
        self._in_write = True
        return self._head

    def commit(self, batch: CommittedBatch) -> None:
        """Apply the batch whole."""
        invariant(self._in_write, "commit() without begin()")
        record = batch.journal
        invariant(record.seq == self._head.seq + 1 and record.prev_hash == self._head.hash, "journal gap")
        for totals in batch.ledger_totals:
            invariant(
                totals.debits_pending == totals.credits_pending and totals.debits_posted == totals.credits_posted,
                f"ledger {totals.ledger} does not balance",
            )
        invariant(not any(a.id in self._accounts for a in batch.accounts_created), "account exists")
        invariant(not any(t.id in self._transfers for t in batch.transfers_created), "transfer exists")
        for account in batch.accounts_created + batch.accounts_updated:
            self._accounts[account.id] = account
        for transfer in batch.transfers_created:
            self._transfers[transfer.id] = transfer
            self._transfer_order.append((transfer.timestamp, transfer.id))
            self._transfer_at[transfer.timestamp] = transfer
        for pending in batch.pendings_created:
            self._pendings[pending.id] = pending
        for pending_id, state in batch.pendings_resolved:
            self._pendings[pending_id] = self._pendings[pending_id]._replace(state=state)
        self._failed.update(batch.failed_transfer_ids)
        for balance in batch.balances_history:
            self._history.setdefault(balance.account_id, []).append(balance)
        for totals in batch.ledger_totals:
            self._totals[totals.ledger] = totals
        self._journal.append(record)
        self._head = JournalHead(record.seq, record.hash, batch.timestamp_max)
        self._in_write = False

    def rollback(self) -> None:
        """End the write; nothing was changed before `commit`."""
        self._in_write = False

    def head(self) -> JournalHead:
        """The last committed head."""
        return self._head

    def get_accounts(self, ids: Collection[int]) -> dict[int, Account]:
        """The existing accounts among `ids`."""
        return {i: self._accounts[i] for i in ids if i in self._accounts}

    def get_transfers(self, ids: Collection[int]) -> dict[int, Transfer]:
        """The existing transfers among `ids`."""
        return {i: self._transfers[i] for i in ids if i in self._transfers}

    def get_failed_transfer_ids(self, ids: Collection[int]) -> dict[int, int]:
        """Ids among `ids` that failed on a transient result."""
        return {i: self._failed[i] for i in ids if i in self._failed}

    def get_pendings(self, ids: Collection[int]) -> dict[int, Pending]:
        """Live state of the pending transfers among `ids`."""
        return {i: self._pendings[i] for i in ids if i in self._pendings}

    def get_pendings_due(self, now_ns: int, limit: int) -> list[Pending]:
        """Pending transfers whose deadline has passed, soonest first."""
        due = [
            p for p in self._pendings.values()
            if p.state is PendingState.PENDING and 0 < p.expires_at <= now_ns
        ]
        return sorted(due, key=lambda p: (p.expires_at, p.id))[:limit]

    def read_batch(
        self,
        now_ns: int,
        due_limit: int,
        account_ids: Collection[int],
        transfer_ids: Collection[int],
        pending_ids: Collection[int],
    ) -> BatchReads:
        """The reads before a batch, one after the other (they cost no round trip here)."""
        return read_batch_one_by_one(self, now_ns, due_limit, account_ids, transfer_ids, pending_ids)

    def get_ledger_totals(self) -> list[LedgerTotals]:
        """Per-ledger sums, by ledger."""
        return [self._totals[ledger] for ledger in sorted(self._totals)]

    def get_code_totals(self, ledger: int) -> list[CodeTotals]:
        """Per account code of `ledger`, its accounts' sums, by code."""
        sums: dict[int, list[int]] = {}
        for a in self._accounts.values():
            if a.ledger == ledger:
                row = sums.setdefault(a.code, [0, 0, 0, 0, 0])
                for i, value in enumerate((1, a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted)):
                    row[i] += value
        return [CodeTotals(ledger, code, *sums[code]) for code in sorted(sums)]

    def get_account_transfers(self, query: AccountFilter) -> list[Transfer]:
        """A page of an account's transfers by timestamp."""
        low = bisect.bisect_left(self._transfer_order, (query.timestamp_min, 0))
        selected = []
        for timestamp, transfer_id in self._transfer_order[low:]:
            if query.timestamp_max and timestamp > query.timestamp_max:
                break
            transfer = self._transfers[transfer_id]
            if (query.debits and transfer.debit_account_id == query.account_id) or (
                query.credits and transfer.credit_account_id == query.account_id
            ):
                selected.append(transfer)
        if query.reversed:
            selected.reverse()
        return selected[: query.limit]

    def get_account_balances(self, query: AccountFilter) -> list[Balance]:
        """A page of an account's balance history by timestamp."""
        selected = [
            b for b in self._history.get(query.account_id, [])
            if b.timestamp >= query.timestamp_min and (not query.timestamp_max or b.timestamp <= query.timestamp_max)
            and self._balance_selected(b, query)
        ]
        if query.reversed:
            selected.reverse()
        return selected[: query.limit]

    def _balance_selected(self, balance: Balance, query: AccountFilter) -> bool:
        """A balance taken at a transfer follows the debits/credits choice; one taken at an
        expiry (no transfer) only shows when both are asked for."""
        transfer = self._transfer_at.get(balance.timestamp)
        if transfer is None:
            return query.debits and query.credits
        return (query.debits and transfer.debit_account_id == balance.account_id) or (
            query.credits and transfer.credit_account_id == balance.account_id
        )

    def scan_accounts(self, after_id: int, limit: int) -> list[Account]:
        """Accounts after `after_id`, by id."""
        return [self._accounts[i] for i in sorted(i for i in self._accounts if i > after_id)[:limit]]

    def scan_journal(self, after_seq: int, limit: int) -> list[JournalRecord]:
        """Journal records after `after_seq`, by seq."""
        return self._journal[after_seq : after_seq + limit]

    def close(self) -> None:
        """Nothing to release."""
