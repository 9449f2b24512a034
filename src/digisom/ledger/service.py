"""`Ledger`: the one writer of a ledger database.

It loads what a batch touches (from its caches, or the store in one query per kind),
runs the pure engine in memory, and commits the whole batch in one store transaction
together with its hash-chained journal record. Caches are valid only while this writer
is the only one: each batch checks the journal head and drops them if another writer
committed in between.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Final, TypeVar

from digisom.errors import DigisomError
from digisom.ledger import journal
from digisom.ledger.core import Engine, Outcome, Slot, Workspace, check_balance_flags
from digisom.ledger.model import (
    BATCH_EVENTS_MAX,
    PAGE_LIMIT_MAX,
    Account,
    AccountFilter,
    Balance,
    Transfer,
)
from digisom.ledger.results import CreateAccountResult, CreateTransferResult
from digisom.ledger.store import CommittedBatch, JournalHead, JournalRecord, LedgerStore, LedgerTotals

# Bounded so that a long-running writer's memory stays flat as accounts grow; the cache
# is dropped whole when full (cheap to refill: one query per batch).
ACCOUNT_CACHE_MAX: Final = 2_000_000
# Pending transfers expired per batch at most; the rest expire in the next batches.
EXPIRE_PER_BATCH_MAX: Final = 8190


_R = TypeVar("_R", CreateAccountResult, CreateTransferResult)


class BatchTooLarge(DigisomError):
    """A batch over `BATCH_EVENTS_MAX` events."""


class Ledger:
    """Creates accounts and transfers against one store. Not thread-safe; see
    `digisom.ledger.submitter` for many concurrent callers."""

    def __init__(self, store: LedgerStore, clock_ns: Callable[[], int] = time.time_ns) -> None:
        self.store = store
        self._clock_ns = clock_ns
        # Working balances of recently used accounts; the engine mutates them in place, and
        # any failure drops the whole cache (the store is the truth).
        self._accounts: dict[int, Slot] = {}
        self._totals: dict[int, list[int]] | None = None
        self._head: JournalHead | None = None

    # -- writes ----------------------------------------------------------------------

    def create_accounts(
        self, events: Sequence[Account | CreateAccountResult]
    ) -> list[CreateAccountResult]:
        """Create a batch of accounts; one result per event, in order."""
        _check_size(events)

        def run(engine: Engine, timestamp: int) -> list[CreateAccountResult]:
            return engine.apply_accounts(events, timestamp)

        ids = {a.id for a in events if isinstance(a, Account)}
        return self._write(ids, set(), set(), run, len(events))[0]

    def create_transfers(
        self, events: Sequence[Transfer | CreateTransferResult]
    ) -> list[CreateTransferResult]:
        """Create a batch of transfers; one result per event, in order."""
        _check_size(events)
        transfers = [t for t in events if isinstance(t, Transfer)]
        account_ids = {t.debit_account_id for t in transfers} | {t.credit_account_id for t in transfers}
        transfer_ids = {t.id for t in transfers}
        pending_ids = {t.pending_id for t in transfers if t.pending_id}

        def run(engine: Engine, timestamp: int) -> list[CreateTransferResult]:
            return engine.apply_transfers(events, timestamp)

        return self._write(account_ids, transfer_ids, pending_ids, run, len(events))[0]

    def expire_pending(self) -> int:
        """Release every pending transfer whose timeout has passed; returns how many."""
        expired_total = 0
        while True:
            _results, expired = self._write(set(), set(), set(), _no_events, 0)
            expired_total += expired
            if expired < EXPIRE_PER_BATCH_MAX:
                return expired_total

    def _write(
        self,
        account_ids: set[int],
        transfer_ids: set[int],
        pending_ids: set[int],
        run: Callable[[Engine, int], list[_R]],
        event_count: int,
    ) -> tuple[list[_R], int]:
        """Run one batch in one store transaction; returns its results and how many
        pending transfers it expired on the way."""
        store = self.store
        head = store.begin()
        try:
            if self._head is None or head.seq != self._head.seq or head.hash != self._head.hash:
                self._accounts.clear()
                self._totals = None
            now = max(self._clock_ns(), head.timestamp + 1)
            due = store.get_pendings_due(now, EXPIRE_PER_BATCH_MAX)
            for pending in due:
                account_ids.add(pending.debit_account_id)
                account_ids.add(pending.credit_account_id)
            existing = store.get_transfers(transfer_ids | pending_ids) if transfer_ids or pending_ids else {}
            pendings = store.get_pendings(pending_ids) if pending_ids else {}
            for pending in pendings.values():
                account_ids.add(pending.debit_account_id)
                account_ids.add(pending.credit_account_id)
            self._load_accounts(account_ids)
            workspace = Workspace(
                accounts=self._accounts,
                transfers=existing,
                pendings=pendings,
                failed_ids=store.get_failed_transfer_ids(transfer_ids) if transfer_ids else {},
                totals=self._ledger_totals(),
            )
            engine = Engine(workspace)
            first_event_ts = engine.expire(due, now)
            results = run(engine, first_event_ts)
            timestamp_max = first_event_ts + event_count - 1 if event_count else first_event_ts - 1
            timestamp_max = max(timestamp_max, head.timestamp)
            expired = len(engine.out.expired)
            if _is_empty(engine.out):
                store.rollback()
                return results, expired
            batch = self._committed_batch(head, engine.out, workspace, timestamp_max)
            store.commit(batch)
        except BaseException:
            store.rollback()
            self._accounts.clear()
            self._totals = None
            self._head = None
            raise
        self._head = JournalHead(batch.journal.seq, batch.journal.hash, timestamp_max)
        return results, expired

    def _load_accounts(self, ids: set[int]) -> None:
        cache = self._accounts
        missing = [i for i in ids if i not in cache]
        if missing:
            if len(cache) + len(missing) > ACCOUNT_CACHE_MAX:
                cache.clear()
                missing = list(ids)
            for account_id, account in self.store.get_accounts(missing).items():
                cache[account_id] = Slot(account)

    def _ledger_totals(self) -> dict[int, list[int]]:
        if self._totals is None:
            self._totals = {
                t.ledger: [t.debits_pending, t.debits_posted, t.credits_pending, t.credits_posted]
                for t in self.store.get_ledger_totals()
            }
        return self._totals

    def _committed_batch(
        self, head: JournalHead, out: Outcome, workspace: Workspace, timestamp_max: int
    ) -> CommittedBatch:
        created_ids = {a.id for a in out.accounts_created}
        updated = []
        for account_id in sorted(out.touched - created_ids):
            slot = workspace.accounts[account_id]
            check_balance_flags(slot)
            updated.append(slot.to_account())
        # A new account touched by a transfer in the same batch is inserted with its balances.
        accounts_created = [
            workspace.accounts[a.id].to_account() if a.id in out.touched else a for a in out.accounts_created
        ]
        for account in accounts_created:
            check_balance_flags(workspace.accounts[account.id])
        totals = []
        for ledger in sorted(out.touched_ledgers):
            dp, dpo, cp, cpo = workspace.totals[ledger]
            totals.append(LedgerTotals(ledger, dp, dpo, cp, cpo))
        born = {p.id for p in out.pendings_created}
        seq = head.seq + 1
        payload = journal.encode(seq, timestamp_max, out.accounts_created, out.expired, out.transfers_created)
        record = JournalRecord(seq, head.hash, journal.chain_hash(head.hash, payload), payload)
        return CommittedBatch(
            journal=record,
            timestamp_max=timestamp_max,
            accounts_created=accounts_created,
            accounts_updated=updated,
            transfers_created=out.transfers_created,
            # Pendings born in this batch are inserted in their final state; only older
            # ones are updated.
            pendings_created=[workspace.pendings[p.id] for p in out.pendings_created],
            pendings_resolved=[(i, state) for i, state in out.pendings_resolved if i not in born],
            failed_transfer_ids=out.failed_transfer_ids,
            balances_history=out.balances_history,
            ledger_totals=totals,
        )

    # -- reads -----------------------------------------------------------------------

    def lookup_accounts(self, ids: Sequence[int]) -> list[Account]:
        """The accounts that exist among `ids`, in the order asked."""
        _check_size(ids)
        found = self.store.get_accounts(set(ids))
        return [found[i] for i in ids if i in found]

    def lookup_transfers(self, ids: Sequence[int]) -> list[Transfer]:
        """The transfers that exist among `ids`, in the order asked."""
        _check_size(ids)
        found = self.store.get_transfers(set(ids))
        return [found[i] for i in ids if i in found]

    def get_account_transfers(self, query: AccountFilter) -> list[Transfer]:
        """A page of an account's transfers; see `AccountFilter`."""
        return self.store.get_account_transfers(_bounded(query))

    def get_account_balances(self, query: AccountFilter) -> list[Balance]:
        """A page of an account's balance history; see `AccountFilter`."""
        return self.store.get_account_balances(_bounded(query))


def _no_events(_engine: Engine, _timestamp: int) -> list[CreateTransferResult]:
    return []


def _is_empty(out: Outcome) -> bool:
    return not (out.accounts_created or out.transfers_created or out.expired or out.failed_transfer_ids)


def _check_size(events: Sequence[object]) -> None:
    if len(events) > BATCH_EVENTS_MAX:
        raise BatchTooLarge(f"{len(events)} events; a batch holds at most {BATCH_EVENTS_MAX}")


def _bounded(query: AccountFilter) -> AccountFilter:
    if not 0 < query.limit <= PAGE_LIMIT_MAX:
        raise DigisomError(f"limit must be 1..{PAGE_LIMIT_MAX}")
    return query

