"""`Ledger`: the one writer of a ledger database.

It loads what a batch touches (from its caches, or the store in one query per kind),
runs the pure engine in memory, and commits the whole batch in one store transaction
together with its hash-chained journal record. Caches are valid only while this writer
is the only one: each batch checks the journal head and drops them if another writer
committed in between.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Final, Generic, Literal, TypeVar

from digisom.errors import DigisomError, InvariantViolation
from digisom.ledger import journal
from digisom.ledger.core import Engine, Outcome, Slot, Workspace, check_balance_flags
from digisom.ledger.gc_pause import cyclic_gc_paused
from digisom.ledger.model import (
    BATCH_EVENTS_MAX,
    PAGE_LIMIT_MAX,
    Account,
    AccountFilter,
    Balance,
    Pending,
    Transfer,
)
from digisom.ledger.results import CreateAccountResult, CreateTransferResult
from digisom.ledger.store import CodeTotals, CommittedBatch, JournalHead, JournalRecord, LedgerStore, LedgerTotals

# Bounded so that a long-running writer's memory stays flat as accounts grow; the cache
# is dropped whole when full (cheap to refill: one query per batch).
ACCOUNT_CACHE_MAX: Final = 2_000_000
# Pending transfers expired per batch at most; the rest expire in the next batches.
EXPIRE_PER_BATCH_MAX: Final = 8190
# `write_stream` overlaps a batch's commit with the next batch's engine only from this
# many events on: a small batch's engine takes well under a millisecond, less than
# handing its commit to another thread costs when many client threads share the GIL
# (64 single-transfer clients measured slower pipelined).
PIPELINE_EVENTS_MIN: Final = 256


_R = TypeVar("_R", CreateAccountResult, CreateTransferResult)
_V = TypeVar("_V")


class BatchTooLarge(DigisomError):
    """A batch over `BATCH_EVENTS_MAX` events."""


class Ledger:
    """Creates accounts and transfers against one store. Not thread-safe; see
    `digisom.ledger.submitter` for many concurrent callers."""

    def __init__(
        self,
        store: LedgerStore,
        clock_ns: Callable[[], int] = time.time_ns,
        pipeline_events_min: int = PIPELINE_EVENTS_MIN,
    ) -> None:
        self.store = store
        self._clock_ns = clock_ns
        self._pipeline_events_min = pipeline_events_min
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
        return self._write(_account_job(events))[0]

    def create_transfers(
        self, events: Sequence[Transfer | CreateTransferResult]
    ) -> list[CreateTransferResult]:
        """Create a batch of transfers; one result per event, in order."""
        return self._write(_transfer_job(events))[0]

    def create_accounts_many(
        self, batches: Iterable[Sequence[Account | CreateAccountResult]]
    ) -> Iterator[list[CreateAccountResult]]:
        """`create_accounts` for batch after batch, pipelined: see `write_stream`."""
        return _raising(self.write_stream(_from_iterable("accounts", batches)))

    def create_transfers_many(
        self, batches: Iterable[Sequence[Transfer | CreateTransferResult]]
    ) -> Iterator[list[CreateTransferResult]]:
        """`create_transfers` for batch after batch, pipelined: see `write_stream`.

        Yields each batch's results, in order, once that batch is durable. The first
        error is raised after the results of the batches before it: those are durable,
        that batch and the ones after it were not applied."""
        return _raising(self.write_stream(_from_iterable("transfers", batches)))

    def write_stream(self, next_batch: Callable[[bool], StreamBatch | None]) -> Iterator[list[Any] | Exception]:
        """Commit batch after batch, running the engine on each while the store commits
        the one before (the database work releases the GIL, so on two cores a batch costs
        about max(engine, store) instead of their sum).

        `next_batch(block)` gives the next `(kind, events)`, or None: when `block` is
        false, None means nothing is waiting (the ready batch is then committed alone;
        a batch under `pipeline_events_min` events is committed alone without asking);
        when true, None means there are no more batches. Yields, in order and only once
        that batch is durable, each batch's results or the operating error that failed
        it (nothing of it written). A broken invariant is raised: every batch not yet
        yielded is then unacknowledged and not applied.

        Batch N+1's engine runs on batch N's in-memory outcome; its results are yielded
        only after N and N+1 are both durable. If N's commit fails, N+1's effects are
        discarded with the caches and N+1 runs again alone.
        """
        store = self.store
        committer: ThreadPoolExecutor | None = None
        job: _Job[Any] | None = None  # the next batch, not yet run
        ready: _Ready | None = None  # run by the engine, not yet committed
        try:
            while True:
                if ready is None:
                    job = job or _job(next_batch(True))
                    if job is None:
                        return
                    try:
                        ready, job = self._prepare(job), None
                    except Exception as error:  # nothing written; the caches are dropped
                        job = None
                        yield error
                        continue
                current = ready
                if len(current.results) >= self._pipeline_events_min:
                    job = job or _job(next_batch(False))
                batch, loaded = current.batch, None
                if job is not None and batch is not None:
                    try:
                        with cyclic_gc_paused():
                            loaded = self._load(job, current.head_after, overlay=current.workspace)
                    except Exception as error:
                        ready = None
                        self._abandon()
                        yield error  # `current` is not written; `job` runs alone next
                        continue
                if job is None or batch is None or loaded is None:  # nothing to overlap with: commit alone
                    ready = None
                    try:
                        self._finish(current)
                    except Exception as error:
                        yield error
                    else:
                        yield current.results
                    continue
                # Commit `current` in the background; run the engine on `job` meanwhile.
                if committer is None:
                    committer = ThreadPoolExecutor(1, thread_name_prefix="ledger-commit")
                following: _Ready | None = None
                engine_error: BaseException | None = None
                with cyclic_gc_paused():  # over both threads' work: see `gc_pause`
                    committing = committer.submit(store.commit, batch)
                    try:
                        following = self._apply(job, loaded, current.head_after)
                    except BaseException as error:
                        engine_error = error
                    commit_error = committing.exception()
                ready = following  # until it is committed, the caches hold its effects
                if commit_error is not None:
                    # `job` ran on `current`'s effects: drop them with the caches; it runs again alone.
                    ready = None
                    self._abandon()
                    if not isinstance(commit_error, Exception):
                        raise commit_error
                    yield commit_error
                    continue
                self._head = current.head_after
                if following is None:
                    self._drop()  # the failed engine run may have changed cached balances
                yield current.results
                if following is None:
                    job = None
                    if not isinstance(engine_error, Exception):
                        raise engine_error or InvariantViolation("the engine gave no batch")
                    yield engine_error
                    continue
                # `following` was run on `current`'s head: it stands only if nobody else wrote since.
                try:
                    head = store.begin()
                except Exception:
                    head = None
                if head is None or not _same_head(head, current.head_after):
                    ready = None
                    self._abandon()
                    continue  # `job` runs again alone, on what the store holds now
                job = None
        finally:
            if ready is not None:
                self._abandon()
            if committer is not None:
                committer.shutdown(wait=True)

    def expire_pending(self) -> int:
        """Release every pending transfer whose timeout has passed; returns how many."""
        expired_total = 0
        while True:
            _results, expired = self._write(_Job(set(), set(), set(), _no_events, 0))
            expired_total += expired
            if expired < EXPIRE_PER_BATCH_MAX:
                return expired_total

    def _write(self, job: _Job[_R]) -> tuple[list[_R], int]:
        """Run one batch in one store transaction; returns its results and how many
        pending transfers it expired on the way."""
        ready = self._prepare(job)
        self._finish(ready)
        return ready.results, ready.expired

    def _prepare(self, job: _Job[_R]) -> _Ready:
        """Open the write transaction, load what `job` touches and run the engine; the
        transaction stays open for `_finish`. On failure it is rolled back."""
        store = self.store
        head = store.begin()
        try:
            if self._head is None or not _same_head(head, self._head):
                self._accounts.clear()
                self._totals = None
            with cyclic_gc_paused():
                loaded = self._load(job, head, overlay=None)
                if loaded is None:
                    raise InvariantViolation("a batch loaded without an overlay cannot be refused")
                return self._apply(job, loaded, head)
        except BaseException:
            self._abandon()
            raise

    def _load(self, job: _Job[_R], head: JournalHead, overlay: Workspace | None) -> _Loaded | None:
        """Read what `job` touches. With `overlay` (the workspace of the batch being
        committed, not yet in the store) its transfers, pendings and failed ids win over
        the store's; None if the account cache would have to be dropped meanwhile."""
        account_ids = set(job.account_ids)
        missing = self._missing_accounts(account_ids, may_drop=overlay is None)
        if missing is None or (overlay is not None and self._totals is None):
            return None
        now = max(self._clock_ns(), head.timestamp + 1)
        reads = self.store.read_batch(now, EXPIRE_PER_BATCH_MAX, missing, job.transfer_ids, job.pending_ids)
        existing, pendings, failed_ids = reads.transfers, reads.pendings, reads.failed_ids
        if overlay is not None:
            _overlay(existing, overlay.transfers, job.transfer_ids | job.pending_ids)
            _overlay(pendings, overlay.pendings, job.pending_ids | {p.id for p in reads.pendings_due})
            _overlay(failed_ids, overlay.failed_ids, job.transfer_ids)
        cache = self._accounts
        for account_id, account in reads.accounts.items():
            cache[account_id] = Slot(account)
        # Holds to expire or resolve name accounts the batch may not: a second read, if any.
        for hold in itertools.chain(reads.pendings_due, pendings.values()):
            account_ids.add(hold.debit_account_id)
            account_ids.add(hold.credit_account_id)
        missing = self._missing_accounts(account_ids, may_drop=overlay is None)
        if missing is None:
            return None
        if missing:
            for account_id, account in self.store.get_accounts(missing).items():
                cache[account_id] = Slot(account)
        workspace = Workspace(
            accounts=cache,
            transfers=existing,
            pendings=pendings,
            failed_ids=failed_ids,
            totals=self._ledger_totals(),
        )
        return _Loaded(workspace, reads.pendings_due, now)

    def _apply(self, job: _Job[_R], loaded: _Loaded, head: JournalHead) -> _Ready:
        """Run the engine: the results, and the batch to commit (None if nothing changed)."""
        engine = Engine(loaded.workspace)
        first_event_ts = engine.expire(loaded.due, loaded.now)
        results = job.run(engine, first_event_ts)
        timestamp_max = first_event_ts + job.event_count - 1 if job.event_count else first_event_ts - 1
        timestamp_max = max(timestamp_max, head.timestamp)
        expired = len(engine.out.expired)
        if _is_empty(engine.out):
            return _Ready(results, expired, None, loaded.workspace, head)
        batch = self._committed_batch(head, engine.out, loaded.workspace, timestamp_max)
        head_after = JournalHead(batch.journal.seq, batch.journal.hash, timestamp_max)
        return _Ready(results, expired, batch, loaded.workspace, head_after)

    def _finish(self, ready: _Ready) -> None:
        """Commit the prepared batch (or roll back an empty one)."""
        try:
            if ready.batch is None:
                self.store.rollback()
            else:
                with cyclic_gc_paused():
                    self.store.commit(ready.batch)
        except BaseException:
            self._abandon()
            raise
        self._head = ready.head_after

    def _abandon(self) -> None:
        """After a failure: end the write transaction and drop the caches (the store is the truth)."""
        self.store.rollback()
        self._drop()

    def _drop(self) -> None:
        self._accounts.clear()
        self._totals = None
        self._head = None

    def _missing_accounts(self, ids: set[int], may_drop: bool) -> list[int] | None:
        """Which of `ids` to read into the cache. If they would overflow it, the cache is
        dropped and all of them are read, or, when it may not be dropped (it holds a batch
        not yet committed), None."""
        cache = self._accounts
        missing = [i for i in ids if i not in cache]
        if missing and len(cache) + len(missing) > ACCOUNT_CACHE_MAX:
            if not may_drop:
                return None
            cache.clear()
            return list(ids)
        return missing

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

    def code_totals(self, ledger: int) -> list[CodeTotals]:
        """Per account code of `ledger`, its accounts' summed balances (last committed)."""
        return self.store.get_code_totals(ledger)


StreamBatch = tuple[Literal["accounts", "transfers"], Sequence[Any]]


@dataclass(frozen=True, slots=True)
class _Job(Generic[_R]):
    """One batch to write: what it touches, and how the engine applies it."""

    account_ids: set[int]
    transfer_ids: set[int]
    pending_ids: set[int]
    run: Callable[[Engine, int], list[_R]]
    event_count: int


@dataclass(frozen=True, slots=True)
class _Loaded:
    workspace: Workspace
    due: list[Pending]
    now: int


@dataclass(frozen=True, slots=True)
class _Ready:
    """A batch the engine has run, inside the open write transaction, not yet committed."""

    results: list[Any]
    expired: int
    batch: CommittedBatch | None  # None: nothing changed, nothing to write
    workspace: Workspace
    head_after: JournalHead


def _account_job(events: Sequence[Account | CreateAccountResult]) -> _Job[CreateAccountResult]:
    _check_size(events)

    def run(engine: Engine, timestamp: int) -> list[CreateAccountResult]:
        return engine.apply_accounts(events, timestamp)

    return _Job({a.id for a in events if isinstance(a, Account)}, set(), set(), run, len(events))


def _transfer_job(events: Sequence[Transfer | CreateTransferResult]) -> _Job[CreateTransferResult]:
    _check_size(events)
    transfers = [t for t in events if isinstance(t, Transfer)]
    account_ids = {t.debit_account_id for t in transfers} | {t.credit_account_id for t in transfers}
    pending_ids = {t.pending_id for t in transfers if t.pending_id}

    def run(engine: Engine, timestamp: int) -> list[CreateTransferResult]:
        return engine.apply_transfers(events, timestamp)

    return _Job(account_ids, {t.id for t in transfers}, pending_ids, run, len(events))


def _job(batch: StreamBatch | None) -> _Job[Any] | None:
    if batch is None:
        return None
    kind, events = batch
    return _account_job(events) if kind == "accounts" else _transfer_job(events)


def _from_iterable(
    kind: Literal["accounts", "transfers"], batches: Iterable[Sequence[Any]]
) -> Callable[[bool], StreamBatch | None]:
    remaining = iter(batches)

    def next_batch(_block: bool) -> StreamBatch | None:
        events = next(remaining, None)
        return None if events is None else (kind, events)

    return next_batch


def _raising(outcomes: Iterator[list[Any] | Exception]) -> Iterator[list[Any]]:
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            raise outcome
        yield outcome


def _overlay(target: dict[int, _V], newer: dict[int, _V], ids: set[int]) -> None:
    """Take `newer`'s entries for `ids` over `target`'s."""
    for i in ids:
        value = newer.get(i)
        if value is not None:
            target[i] = value


def _same_head(a: JournalHead, b: JournalHead) -> bool:
    return a.seq == b.seq and a.hash == b.hash


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

