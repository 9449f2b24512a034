"""Coalesce many concurrent small requests into ledger batches, as TigerBeetle's clients do.

Many callers (API request handlers, bulk jobs) each submit a few events; one writer
thread drains the queue, packs whole submissions into one batch of at most
`BATCH_EVENTS_MAX` events, commits it, and hands every caller its own results. A
single-transfer request thus costs a share of one database transaction instead of a
whole one.

A submission is one caller's events, kept together and in order. Its last event must
not be `linked`: a chain left open would otherwise join the next caller's events, so
the submitter fails it as `linked_event_chain_open` without sending it.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Final, Literal, Protocol

from digisom.errors import DigisomError
from digisom.ledger.model import BATCH_EVENTS_MAX, Account, Transfer
from digisom.ledger.results import CreateAccountResult, CreateTransferResult
from digisom.ledger.service import Ledger, StreamBatch

# Submissions waiting for the writer; a full queue makes callers wait (backpressure)
# instead of growing memory without bound on a pension-day peak.
QUEUE_SUBMISSIONS_MAX: Final = 65_536
SUBMIT_TIMEOUT_S: Final = 30.0
# When the last batch served several callers, the writer waits this long for more to
# arrive before committing: callers answered together come back together, and a short
# wait turns many tiny commits (each paying a durable fsync) into one. A lone caller
# never waits.
LINGER_S: Final = 0.001

_LINKED: Final = 1  # `linked` is bit 0 for accounts and transfers alike


class SubmitterClosed(DigisomError):
    """The submitter was closed; nothing more is accepted."""


class QueueFull(DigisomError):
    """The queue stayed full for `SUBMIT_TIMEOUT_S`: the ledger is overloaded."""


@dataclass(frozen=True, slots=True)
class _Submission:
    kind: Literal["accounts", "transfers"]
    events: list[Any]  # list[Account | CreateAccountResult] or list[Transfer | CreateTransferResult]
    future: Future[list[Any]]


class BatchObserver(Protocol):
    """Told of every committed batch (the metrics: batch size and time to commit)."""

    def batch_committed(self, kind: str, events: int, seconds: float) -> None:
        """A batch of `events` of `kind` committed `seconds` after the writer handed it to the ledger."""


class _Unobserved:
    def batch_committed(self, kind: str, events: int, seconds: float) -> None:
        pass


class BatchObservers:
    """Several observers told of each batch, in order (the metrics, the traces)."""

    def __init__(self, *observers: BatchObserver) -> None:
        self._observers = observers

    def batch_committed(self, kind: str, events: int, seconds: float) -> None:
        for observer in self._observers:
            observer.batch_committed(kind, events, seconds)


class Submitter:
    """One writer thread in front of a `Ledger`. Thread-safe; close() when done."""

    def __init__(self, ledger: Ledger, batch_events_max: int = BATCH_EVENTS_MAX,
                 observer: BatchObserver | None = None) -> None:
        if not 0 < batch_events_max <= BATCH_EVENTS_MAX:
            raise ValueError(f"batch_events_max must be 1..{BATCH_EVENTS_MAX}")
        self._ledger = ledger
        self._observer: BatchObserver = observer or _Unobserved()
        self._batch_events_max = batch_events_max
        self._queue: queue.Queue[_Submission | None] = queue.Queue(QUEUE_SUBMISSIONS_MAX)
        self._closed = threading.Event()
        self.batches_committed = 0
        self._last_group_size = 0
        self._carried: _Submission | None = None  # taken from the queue, for the next group
        self._stopping = False  # the close sentinel was taken: no more groups
        self._thread = threading.Thread(target=self._run, name="ledger-writer", daemon=True)
        self._thread.start()

    def submit_transfers(self, events: Sequence[Transfer]) -> Future[list[CreateTransferResult]]:
        """Queue a caller's transfers; the future gives one result per event."""
        return self._submit("transfers", events, CreateTransferResult.linked_event_chain_open)

    def submit_accounts(self, events: Sequence[Account]) -> Future[list[CreateAccountResult]]:
        """Queue a caller's accounts; the future gives one result per event."""
        return self._submit("accounts", events, CreateAccountResult.linked_event_chain_open)

    def create_transfers(self, events: Sequence[Transfer]) -> list[CreateTransferResult]:
        """Submit and wait: the blocking form for threads."""
        return self.submit_transfers(events).result()

    def create_accounts(self, events: Sequence[Account]) -> list[CreateAccountResult]:
        """Submit and wait: the blocking form for threads."""
        return self.submit_accounts(events).result()

    def _submit(
        self, kind: Literal["accounts", "transfers"], events: Sequence[Account] | Sequence[Transfer], chain_open: int
    ) -> Future[list[Any]]:
        if self._closed.is_set():
            raise SubmitterClosed("the ledger submitter is closed")
        if len(events) > self._batch_events_max:
            raise DigisomError(f"a submission holds at most {self._batch_events_max} events")
        queued: list[Any] = list(events)
        if queued and queued[-1].flags & _LINKED:
            # The chain this submission leaves open must not join the next caller's events:
            # a result code in its last place fails the chain just as the engine would.
            queued[-1] = chain_open
        future: Future[list[Any]] = Future()
        try:
            self._queue.put(_Submission(kind, queued, future), timeout=SUBMIT_TIMEOUT_S)
        except queue.Full:
            raise QueueFull(f"ledger queue full for {SUBMIT_TIMEOUT_S} s") from None
        return future

    def queue_depth(self) -> int:
        """Submissions waiting for the writer (approximate, as any queue size read from outside)."""
        return self._queue.qsize()

    def running(self) -> bool:
        """True while the writer takes work: not closed, and its thread not stopped by a broken invariant."""
        return self._thread.is_alive() and not self._closed.is_set()

    def close(self) -> None:
        """Finish what is queued, then stop the writer thread."""
        if not self._closed.is_set():
            self._closed.set()
            self._queue.put(None)
            self._thread.join()

    def _run(self) -> None:
        # Groups handed to the ledger and not yet answered, oldest first: the ledger runs
        # the engine on the next group while the previous one commits.
        sent: deque[tuple[list[_Submission], float]] = deque()

        def next_batch(block: bool) -> StreamBatch | None:
            group = self._gather(block)
            if group is None:
                return None
            sent.append((group, time.monotonic()))
            return group[0].kind, [event for submission in group for event in submission.events]

        try:
            for outcome in self._ledger.write_stream(next_batch):
                group, handed_at_s = sent.popleft()
                self._answer(group, outcome)
                if not isinstance(outcome, Exception):
                    events = sum(len(submission.events) for submission in group)
                    self._observer.batch_committed(group[0].kind, events, time.monotonic() - handed_at_s)
        except BaseException as error:  # a broken invariant: stop taking work
            self._closed.set()
            while sent:
                for submission in sent.popleft()[0]:
                    submission.future.set_exception(error)
            raise

    def _gather(self, block: bool) -> list[_Submission] | None:
        """The next group of submissions of one kind, at most `batch_events_max` events;
        None when nothing waits (`block` false) or the submitter is closing."""
        if self._stopping:
            return None
        first = self._carried
        self._carried = None
        if first is None:
            try:
                first = self._queue.get() if block else self._queue.get_nowait()
            except queue.Empty:
                return None
        if first is None:
            self._stopping = True
            return None
        group = [first]
        size = len(first.events)
        # Take whatever else is already waiting (or arrives within the linger, when
        # callers are concurrent), while it is the same kind and fits.
        deadline = time.monotonic() + (LINGER_S if block and self._last_group_size > 1 else 0.0)
        while size < self._batch_events_max:
            remaining_s = deadline - time.monotonic()
            try:
                following = self._queue.get(timeout=remaining_s) if remaining_s > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if following is None:
                self._stopping = True
                break
            if following.kind != first.kind or size + len(following.events) > self._batch_events_max:
                self._carried = following
                break
            group.append(following)
            size += len(following.events)
        self._last_group_size = len(group)
        return group

    def _answer(self, group: list[_Submission], outcome: list[Any] | Exception) -> None:
        if isinstance(outcome, Exception):  # an operating error: the callers get it; the writer goes on
            for submission in group:
                submission.future.set_exception(outcome)
            return
        self.batches_committed += 1
        offset = 0
        for submission in group:
            count = len(submission.events)
            submission.future.set_result(outcome[offset : offset + count])
            offset += count
