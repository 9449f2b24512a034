"""The pipelined writer (`Ledger.write_stream` / `create_transfers_many`): batch N+1's
engine runs on batch N's outcome while N commits, and nothing is acknowledged before it
is durable. Every store kind; failures are injected around the memory store."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from digisom.ledger import service
from digisom.ledger.model import AMOUNT_MAX, Account, AccountFlags, Transfer, TransferFlags
from digisom.ledger.results import CreateTransferResult as R
from digisom.ledger.service import Ledger, StreamBatch
from digisom.ledger.store import CommittedBatch
from digisom.stores.memory import MemoryStore
from digisom.stores.url import open_store

from .conftest import store_url

KGS = 417
F = TransferFlags
BANK, SHOP, ALICE = 1, 2, 3
DMNEC = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS


def open_accounts(ledger: Ledger) -> None:
    ledger.create_accounts([Account(BANK, KGS, 1), Account(SHOP, KGS, 1, DMNEC), Account(ALICE, KGS, 1, DMNEC)])


def pay(tid: int, debit: int, credit: int, amount: int, flags: int = 0, **fields: int) -> Transfer:
    return Transfer(tid, debit, credit, amount, KGS, 1, flags, **fields)


def balances(ledger: Ledger, account_id: int) -> tuple[int, int, int, int]:
    (a,) = ledger.lookup_accounts([account_id])
    return (a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted)


# Each batch depends on the one before it: a hold posted, a retry, a failed id retried.
DEPENDENT_BATCHES = [
    [pay(10, BANK, ALICE, 100), pay(11, ALICE, SHOP, 30, F.PENDING, timeout_s=60), pay(12, ALICE, SHOP, 500)],
    [pay(20, 0, 0, AMOUNT_MAX, F.POST_PENDING_TRANSFER, pending_id=11), pay(10, BANK, ALICE, 100),
     pay(12, ALICE, SHOP, 5)],
    [pay(30, 0, 0, 0, F.VOID_PENDING_TRANSFER, pending_id=11), pay(31, ALICE, SHOP, 70), pay(32, ALICE, SHOP, 1)],
]
DEPENDENT_RESULTS = [
    [R.ok, R.ok, R.exceeds_credits],
    [R.ok, R.exists, R.id_already_failed],
    [R.pending_transfer_already_posted, R.ok, R.exceeds_credits],
]


class RecordingStore(MemoryStore):
    """A memory store that records which thread committed each batch, and can fail one
    chosen commit (by journal seq) with an operating error."""

    def __init__(self, fail_seq: int = 0) -> None:
        super().__init__()
        self.fail_seq = fail_seq
        self.commit_threads: list[str] = []

    def commit(self, batch: CommittedBatch) -> None:
        self.commit_threads.append(threading.current_thread().name)
        if batch.journal.seq == self.fail_seq:
            self.fail_seq = 0
            raise ConnectionError("the database went away")  # an operating error, nothing written
        super().commit(batch)


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return store_url(request.param, tmp_path, request)


def test_pipelined_batches_see_the_batch_committing_before_them(url: str) -> None:
    store = open_store(url)
    try:
        ledger = Ledger(store, pipeline_events_min=1)
        open_accounts(ledger)
        assert list(ledger.create_transfers_many(DEPENDENT_BATCHES)) == DEPENDENT_RESULTS
        assert balances(ledger, ALICE) == (0, 100, 0, 100)
        assert balances(ledger, SHOP) == (0, 0, 0, 100)
        # A new writer, on what the store holds, answers retries the same way.
        again = Ledger(store)
        retries = [pay(12, ALICE, SHOP, 5), DEPENDENT_BATCHES[1][0], pay(32, ALICE, SHOP, 1)]
        assert again.create_transfers(retries) == [R.id_already_failed, R.exists, R.id_already_failed]
    finally:
        store.close()


def test_the_engine_runs_while_the_previous_batch_commits() -> None:
    store = RecordingStore()
    ledger = Ledger(store, pipeline_events_min=1)
    open_accounts(ledger)
    store.commit_threads.clear()
    assert list(ledger.create_transfers_many(DEPENDENT_BATCHES)) == DEPENDENT_RESULTS
    # Every batch but the last committed on the commit thread, overlapped with the next
    # batch's engine; the last had nothing to overlap with.
    assert [name.startswith("ledger-commit") for name in store.commit_threads] == [True, True, False]


def test_a_failed_commit_fails_its_batch_and_the_next_one_runs_again_without_it() -> None:
    store = RecordingStore()
    ledger = Ledger(store, pipeline_events_min=1)
    open_accounts(ledger)
    store.fail_seq = store.head().seq + 2  # the second batch's commit
    batches = iter(DEPENDENT_BATCHES)

    def next_batch(_block: bool) -> StreamBatch | None:
        events = next(batches, None)
        return None if events is None else ("transfers", events)

    outcomes = list(ledger.write_stream(next_batch))
    assert outcomes[0] == DEPENDENT_RESULTS[0]
    assert isinstance(outcomes[1], ConnectionError)
    # The third batch first ran on the second's effects (the hold posted: the void
    # refused, the last payment too); that run was discarded and the batch ran again on
    # what is durable: the hold still pending, so voided, and room for both payments.
    assert outcomes[2] == [R.ok, R.ok, R.ok]
    assert balances(ledger, ALICE) == (0, 71, 0, 100)
    assert balances(ledger, SHOP) == (0, 0, 0, 71)
    assert ledger.lookup_transfers([20, 12]) == []


def test_create_transfers_many_stops_at_the_first_failed_batch() -> None:
    store = RecordingStore()
    ledger = Ledger(store, pipeline_events_min=1)
    open_accounts(ledger)
    store.fail_seq = store.head().seq + 2
    stream = ledger.create_transfers_many(DEPENDENT_BATCHES)
    assert next(stream) == DEPENDENT_RESULTS[0]
    with pytest.raises(ConnectionError):
        next(stream)
    assert ledger.lookup_transfers([20, 30, 31]) == []
    assert [t.id for t in ledger.lookup_transfers([10, 11])] == [10, 11]


def test_another_writer_between_two_pipelined_batches_is_not_overwritten(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    store, other_store = open_store(url), open_store(url)
    try:
        ledger, other = Ledger(store, pipeline_events_min=1), Ledger(other_store)
        open_accounts(ledger)
        # Alice has 100 when the second batch's engine first runs: 150 is refused then.
        batches = [[pay(1, BANK, ALICE, 100)], [pay(2, ALICE, SHOP, 150)]]
        answered = []
        for results in ledger.create_transfers_many(batches):
            if not answered:
                # The first batch is durable; the second has run on it but is not committed.
                assert other.create_transfers([pay(3, BANK, ALICE, 100)]) == [R.ok]
            answered.append(results)
        # The second batch ran again on the other writer's credit, not on stale balances.
        assert answered == [[R.ok], [R.ok]]
        assert balances(ledger, ALICE) == (0, 150, 0, 200)
    finally:
        store.close()
        other_store.close()


def test_a_small_batch_is_committed_without_handing_it_to_another_thread() -> None:
    store = RecordingStore()
    ledger = Ledger(store, pipeline_events_min=3)
    open_accounts(ledger)
    store.commit_threads.clear()
    batches = [[pay(1, BANK, ALICE, 10)] * 3, [pay(2, BANK, ALICE, 10)] * 2, [pay(3, BANK, ALICE, 10)]]
    assert list(ledger.create_transfers_many(batches)) == [[R.ok, R.exists, R.exists], [R.ok, R.exists], [R.ok]]
    assert [name.startswith("ledger-commit") for name in store.commit_threads] == [True, False, False]


def test_a_full_account_cache_does_not_pipeline_but_stays_correct(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "ACCOUNT_CACHE_MAX", 3)
    store = RecordingStore()
    ledger = Ledger(store, pipeline_events_min=1)
    open_accounts(ledger)
    ledger.create_accounts([Account(4, KGS, 1)])
    store.commit_threads.clear()
    batches = [[pay(1, BANK, ALICE, 10)], [pay(2, BANK, SHOP, 10)], [pay(3, ALICE, 4, 10)]]
    assert list(ledger.create_transfers_many(batches)) == [[R.ok]] * 3
    assert [balances(ledger, i) for i in (ALICE, SHOP, 4)] == [(0, 10, 0, 10), (0, 0, 0, 10), (0, 0, 0, 10)]
    # Each next batch needed more accounts than the cache holds, and the cache cannot be
    # dropped while it holds a batch not yet committed: no overlap then.
    assert not any(name.startswith("ledger-commit") for name in store.commit_threads)


def test_an_abandoned_stream_acknowledges_nothing_more_and_keeps_the_cache_honest() -> None:
    store = RecordingStore()
    ledger = Ledger(store, pipeline_events_min=1)
    open_accounts(ledger)
    stream: Iterator[list[R]] = ledger.create_transfers_many(DEPENDENT_BATCHES)
    assert next(stream) == DEPENDENT_RESULTS[0]
    stream.close()  # the second batch ran in the engine but was never committed
    assert ledger.lookup_transfers([20]) == []
    # The same writer goes on from what is durable, not from the abandoned batch's effects.
    assert ledger.create_transfers([pay(40, ALICE, SHOP, 70)]) == [R.ok]
    assert balances(ledger, ALICE) == (30, 70, 0, 100)
