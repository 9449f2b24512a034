"""What every SQL store does with a hand-built batch; each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import psycopg
import pytest

from digisom.errors import InvariantViolation
from digisom.ledger.model import (
    PAGE_LIMIT_MAX,
    U16_MAX,
    U32_MAX,
    U64_MAX,
    U128_MAX,
    Account,
    AccountFilter,
    AccountFlags,
    Balance,
    Pending,
    PendingState,
    Transfer,
    TransferFlags,
)
from digisom.ledger.store import GENESIS_HASH, CommittedBatch, JournalHead, LedgerStore, LedgerTotals

from .conftest import (
    CENTRAL_BANK,
    COMMERCIAL_BANK,
    KGS,
    MERCHANT,
    PENSIONER,
    TREASURY,
    Chain,
    commit,
    opening_batch,
    pay,
    posted,
)

DMNEC = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
CMNED = AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
U256_MAX = (1 << 256) - 1
# What the drivers raise for a row a database refuses: a constraint, or a value out of range.
DRIVER_REFUSALS = (sqlite3.IntegrityError, psycopg.errors.IntegrityError, psycopg.errors.DataError, OverflowError)


def snapshot(store: LedgerStore, account_ids: list[int], transfer_ids: list[int]) -> object:
    """Everything a test can observe about a store, to compare before and after."""
    return (
        store.head(),
        store.scan_accounts(0, PAGE_LIMIT_MAX),
        store.get_transfers(transfer_ids),
        store.get_pendings(transfer_ids),
        store.get_failed_transfer_ids(transfer_ids),
        store.get_ledger_totals(),
        store.scan_journal(0, 100),
        [store.get_account_balances(AccountFilter(i)) for i in account_ids],
    )


def test_an_empty_store_has_the_genesis_head(store: LedgerStore) -> None:
    assert store.head() == JournalHead(0, GENESIS_HASH, 0)
    assert store.begin() == JournalHead(0, GENESIS_HASH, 0)
    store.rollback()
    assert store.scan_journal(0, 10) == []
    assert store.get_ledger_totals() == []
    assert store.scan_accounts(0, 10) == []
    assert store.get_pendings_due(2**62, 10) == []


def test_every_field_round_trips_at_the_u128_extremes(store: LedgerStore, chain: Chain) -> None:
    low = Account(1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, timestamp=1)
    high = Account(U128_MAX - 1, U32_MAX, U16_MAX, int(AccountFlags.HISTORY), U128_MAX, U64_MAX, U32_MAX,
                   U128_MAX, U128_MAX, U128_MAX, U128_MAX, timestamp=2**63 - 1)
    # Every flag bit set, both balance rules among them: balances of zero satisfy both.
    flagged = Account(2, 1, 1, U16_MAX, 1, 1, 1, timestamp=3)
    biggest = Transfer(U128_MAX - 1, U128_MAX - 1, 1, U128_MAX, U32_MAX, U16_MAX, U16_MAX, U128_MAX - 1,
                       U32_MAX, U128_MAX, U64_MAX, U32_MAX, 2**63 - 2)
    empty = Transfer(1, 1, U128_MAX - 1, 0, 1, 1, timestamp=4)
    pending = Pending(U128_MAX - 1, U128_MAX - 1, 1, U128_MAX, U32_MAX, U16_MAX, U16_MAX, 2**63 - 1,
                      PendingState.PENDING)
    history = Balance(U128_MAX - 1, 2**63 - 2, U128_MAX, 0, U128_MAX, 0)
    totals = [LedgerTotals(1, 0, 0, 0, 0), LedgerTotals(U32_MAX, U128_MAX, U128_MAX, U128_MAX, U128_MAX)]
    batch = chain.batch(
        accounts_created=[low, high, flagged], transfers_created=[biggest, empty], pendings_created=[pending],
        failed_transfer_ids=[(U128_MAX - 1, 61), (7, 22)], balances_history=[history], ledger_totals=totals,
    )
    commit(store, batch)
    assert store.get_accounts([1, 2, U128_MAX - 1]) == {1: low, 2: flagged, U128_MAX - 1: high}
    assert store.get_transfers([1, U128_MAX - 1]) == {1: empty, U128_MAX - 1: biggest}
    assert store.get_pendings([U128_MAX - 1]) == {U128_MAX - 1: pending}
    assert isinstance(store.get_pendings([U128_MAX - 1])[U128_MAX - 1].state, PendingState)
    assert store.get_failed_transfer_ids([7, U128_MAX - 1]) == {7: 22, U128_MAX - 1: 61}
    assert store.get_account_balances(AccountFilter(U128_MAX - 1)) == [history]
    assert store.get_ledger_totals() == totals
    assert store.scan_accounts(0, 10) == [low, flagged, high]
    assert store.scan_journal(0, 10) == [batch.journal]
    assert store.head() == JournalHead(1, chain.hash, chain.timestamp)


def test_ledger_totals_may_pass_u128(store: LedgerStore, chain: Chain) -> None:
    # Each account stays within u128; the sum over a ledger's accounts need not.
    totals = [LedgerTotals(KGS, 2 * U128_MAX, 3 * U128_MAX, 2 * U128_MAX, 3 * U128_MAX),
              LedgerTotals(U32_MAX, U256_MAX, U256_MAX, U256_MAX, U256_MAX)]
    commit(store, chain.batch(ledger_totals=totals))
    assert store.get_ledger_totals() == totals


def test_lookups_return_only_what_exists(store: LedgerStore, chain: Chain) -> None:
    commit(store, opening_batch(chain, Account(CENTRAL_BANK, KGS, 1), Account(MERCHANT, KGS, 1)))
    commit(store, chain.batch(
        transfers_created=[pay(10, CENTRAL_BANK, MERCHANT, 5, 10_000)],
        accounts_updated=[Account(CENTRAL_BANK, KGS, 1, debits_posted=5, timestamp=1),
                          Account(MERCHANT, KGS, 1, credits_posted=5, timestamp=2)],
        failed_transfer_ids=[(11, 61)], ledger_totals=[posted(KGS, 5)],
    ))
    assert set(store.get_accounts([CENTRAL_BANK, TREASURY, MERCHANT, U128_MAX - 1])) == {CENTRAL_BANK, MERCHANT}
    assert set(store.get_transfers([9, 10, 11])) == {10}
    assert store.get_failed_transfer_ids([9, 10, 11]) == {11: 61}
    assert store.get_pendings([10]) == {}
    for lookup in (store.get_accounts, store.get_transfers, store.get_failed_transfer_ids, store.get_pendings):
        assert lookup([]) == {}
        assert lookup([12, 13]) == {}


def test_a_full_page_of_ids_is_looked_up_at_once(store: LedgerStore, chain: Chain) -> None:
    accounts = [Account(i, KGS, 1, timestamp=i) for i in range(1, PAGE_LIMIT_MAX + 1)]
    commit(store, chain.batch(accounts_created=accounts))
    asked = [*range(1, PAGE_LIMIT_MAX + 1, 2), PAGE_LIMIT_MAX + 1, U128_MAX - 1]
    found = store.get_accounts(asked)
    assert sorted(found) == list(range(1, PAGE_LIMIT_MAX + 1, 2))
    assert len(store.get_accounts(range(1, PAGE_LIMIT_MAX + 1))) == PAGE_LIMIT_MAX
    assert [a.id for a in store.scan_accounts(PAGE_LIMIT_MAX - 3, 10)] == [8188, 8189, 8190]


def _merchant_history(store: LedgerStore, chain: Chain) -> list[Transfer]:
    """Six transfers touching the merchant at timestamps 100..600, one not touching it."""
    commit(store, opening_batch(
        chain, Account(CENTRAL_BANK, KGS, 1), Account(MERCHANT, KGS, 1, AccountFlags.HISTORY),
        Account(PENSIONER, KGS, 1),
    ))
    transfers = [
        pay(1, CENTRAL_BANK, MERCHANT, 10, 100),
        pay(2, MERCHANT, PENSIONER, 1, 200),
        pay(3, CENTRAL_BANK, PENSIONER, 7, 250),  # not the merchant's
        pay(4, CENTRAL_BANK, MERCHANT, 20, 300),
        pay(5, MERCHANT, PENSIONER, 2, 400),
        pay(6, CENTRAL_BANK, MERCHANT, 30, 500),
        pay(7, MERCHANT, CENTRAL_BANK, 3, 600),
    ]
    history, debits, credits = [], 0, 0
    for t in transfers:
        if MERCHANT in (t.debit_account_id, t.credit_account_id):
            debits += t.amount if t.debit_account_id == MERCHANT else 0
            credits += t.amount if t.credit_account_id == MERCHANT else 0
            history.append(Balance(MERCHANT, t.timestamp, 0, debits, 0, credits))
    total = sum(t.amount for t in transfers)
    commit(store, chain.batch(transfers_created=transfers, balances_history=history,
                              ledger_totals=[posted(KGS, total)]))
    return transfers


def _ids(rows: list[Transfer]) -> list[int]:
    return [t.id for t in rows]


def test_account_transfers_honour_every_filter_field(store: LedgerStore, chain: Chain) -> None:
    _merchant_history(store, chain)
    page = store.get_account_transfers
    assert _ids(page(AccountFilter(MERCHANT))) == [1, 2, 4, 5, 6, 7]
    assert _ids(page(AccountFilter(MERCHANT, credits=False))) == [2, 5, 7]
    assert _ids(page(AccountFilter(MERCHANT, debits=False))) == [1, 4, 6]
    assert page(AccountFilter(MERCHANT, debits=False, credits=False)) == []
    # Both bounds are inclusive; a maximum of 0 means no upper bound.
    assert _ids(page(AccountFilter(MERCHANT, timestamp_min=200, timestamp_max=500))) == [2, 4, 5, 6]
    assert _ids(page(AccountFilter(MERCHANT, timestamp_min=201, timestamp_max=499))) == [4, 5]
    assert _ids(page(AccountFilter(MERCHANT, timestamp_min=500, timestamp_max=0))) == [6, 7]
    assert _ids(page(AccountFilter(MERCHANT, reversed=True))) == [7, 6, 5, 4, 2, 1]
    assert _ids(page(AccountFilter(MERCHANT, reversed=True, limit=2))) == [7, 6]
    assert _ids(page(AccountFilter(MERCHANT, reversed=True, limit=2, credits=False))) == [7, 5]
    assert _ids(page(AccountFilter(MERCHANT, limit=3, debits=False, timestamp_min=101))) == [4, 6]
    # Paging: the next page starts after the last timestamp seen.
    first = page(AccountFilter(MERCHANT, limit=4))
    rest = page(AccountFilter(MERCHANT, limit=4, timestamp_min=first[-1].timestamp + 1))
    assert _ids(first) + _ids(rest) == [1, 2, 4, 5, 6, 7]
    assert page(AccountFilter(TREASURY)) == []
    assert page(AccountFilter(MERCHANT, limit=0)) == []
    assert page(AccountFilter(MERCHANT))[0] == pay(1, CENTRAL_BANK, MERCHANT, 10, 100)


def test_account_balances_honour_every_filter_field(store: LedgerStore, chain: Chain) -> None:
    _merchant_history(store, chain)

    def stamps(**fields: int | bool) -> list[int]:
        return [b.timestamp for b in store.get_account_balances(AccountFilter(MERCHANT, **fields))]  # type: ignore[arg-type]

    assert stamps() == [100, 200, 300, 400, 500, 600]
    assert store.get_account_balances(AccountFilter(MERCHANT))[-1] == Balance(MERCHANT, 600, 0, 6, 0, 60)
    assert stamps(timestamp_min=200, timestamp_max=400) == [200, 300, 400]
    assert stamps(timestamp_max=0, timestamp_min=450) == [500, 600]
    assert stamps(reversed=True, limit=2) == [600, 500]
    assert stamps(credits=False) == [200, 400, 600]
    assert stamps(debits=False, reversed=True) == [500, 300, 100]
    assert stamps(debits=False, credits=False) == []
    assert store.get_account_balances(AccountFilter(PENSIONER)) == []


def test_a_balance_without_a_transfer_belongs_to_neither_side(store: LedgerStore, chain: Chain) -> None:
    _merchant_history(store, chain)
    # An expiry changes balances at a timestamp no transfer has.
    commit(store, chain.batch(balances_history=[Balance(MERCHANT, 700, 0, 6, 0, 60)]))
    assert [b.timestamp for b in store.get_account_balances(AccountFilter(MERCHANT, timestamp_min=600))] == [600, 700]
    assert store.get_account_balances(AccountFilter(MERCHANT, timestamp_min=650, debits=False)) == []


def test_pendings_due_are_live_and_soonest_first(store: LedgerStore, chain: Chain) -> None:
    commit(store, opening_batch(chain, Account(CENTRAL_BANK, KGS, 1), Account(COMMERCIAL_BANK, KGS, 1)))
    deadlines = {1: 5_000, 2: 0, 3: 3_000, 4: 3_000, 5: 9_000, 6: 4_000}
    transfers = [pay(i, CENTRAL_BANK, COMMERCIAL_BANK, i, 100 + i, flags=TransferFlags.PENDING, timeout_s=1)
                 for i in deadlines]
    pendings = [Pending(i, CENTRAL_BANK, COMMERCIAL_BANK, i, KGS, 1, int(TransferFlags.PENDING), at,
                        PendingState.PENDING) for i, at in deadlines.items()]
    total = sum(deadlines)
    commit(store, chain.batch(transfers_created=transfers, pendings_created=pendings,
                              ledger_totals=[LedgerTotals(KGS, total, 0, total, 0)]))
    due = store.get_pendings_due
    assert [p.id for p in due(5_000, 10)] == [3, 4, 6, 1]  # ties by id; 0 never expires
    assert [p.id for p in due(4_999, 10)] == [3, 4, 6]
    assert [p.id for p in due(10_000, 2)] == [3, 4]
    assert due(2_999, 10) == []
    assert due(5_000, 10)[0] == pendings[2]
    # Once resolved, a pending is no longer due.
    commit(store, chain.batch(pendings_resolved=[(3, PendingState.POSTED), (6, PendingState.EXPIRED)],
                              ledger_totals=[LedgerTotals(KGS, total, 0, total, 0)]))
    assert [p.id for p in due(10_000, 10)] == [4, 1, 5]
    assert store.get_pendings([3, 6, 2]) == {
        3: pendings[2]._replace(state=PendingState.POSTED),
        6: pendings[5]._replace(state=PendingState.EXPIRED),
        2: pendings[1],
    }


def test_accounts_updated_overwrite_flags_and_balances(store: LedgerStore, chain: Chain) -> None:
    commit(store, opening_batch(chain, Account(CENTRAL_BANK, KGS, 1, user_data_32=9), Account(TREASURY, KGS, 2)))
    commit(store, chain.batch(
        transfers_created=[pay(1, CENTRAL_BANK, TREASURY, 50, 5_000)],
        accounts_updated=[
            Account(CENTRAL_BANK, KGS, 1, int(AccountFlags.CLOSED), user_data_32=9, debits_posted=50, timestamp=1),
            Account(TREASURY, KGS, 2, credits_posted=50, timestamp=2),
        ],
        ledger_totals=[posted(KGS, 50)],
    ))
    central_bank = store.get_accounts([CENTRAL_BANK])[CENTRAL_BANK]
    assert central_bank == Account(CENTRAL_BANK, KGS, 1, int(AccountFlags.CLOSED), user_data_32=9,
                                   debits_posted=50, timestamp=1)


def test_balance_rules_hold_at_their_limits(store: LedgerStore, chain: Chain) -> None:
    commit(store, opening_batch(chain, Account(MERCHANT, KGS, 1, int(DMNEC)), Account(TREASURY, KGS, 1, int(CMNED))))
    at_limit = [
        Account(MERCHANT, KGS, 1, int(DMNEC), debits_pending=2, debits_posted=3, credits_posted=5, timestamp=1),
        Account(TREASURY, KGS, 1, int(CMNED), debits_posted=U128_MAX, credits_pending=1, credits_posted=U128_MAX - 1,
                timestamp=2),
    ]
    commit(store, chain.batch(accounts_updated=at_limit))
    assert store.scan_accounts(0, 10) == sorted(at_limit, key=lambda a: a.id)


def test_reads_inside_the_write_transaction_see_its_start(store: LedgerStore, chain: Chain) -> None:
    commit(store, opening_batch(chain, Account(CENTRAL_BANK, KGS, 1)))
    head = store.begin()
    assert head == store.head() == JournalHead(1, chain.hash, chain.timestamp)
    assert set(store.get_accounts([CENTRAL_BANK])) == {CENTRAL_BANK}
    store.rollback()


def test_rollback_leaves_nothing_and_releases_the_writer(
    store: LedgerStore, chain: Chain, reopen: Callable[[], LedgerStore]
) -> None:
    commit(store, opening_batch(chain, Account(CENTRAL_BANK, KGS, 1)))
    before = snapshot(store, [CENTRAL_BANK], [])
    store.begin()
    store.rollback()
    store.rollback()  # a second rollback is harmless
    assert snapshot(store, [CENTRAL_BANK], []) == before
    # Another connection can now take the writer lock and commit.
    other = reopen()
    commit(other, opening_batch(chain, Account(MERCHANT, KGS, 1, timestamp=2)))
    assert set(store.get_accounts([MERCHANT])) == {MERCHANT}


def _failing_batches(chain: Chain) -> dict[str, CommittedBatch]:
    """Batches that a store must refuse whole, by name; each would follow the same head."""
    seq, hash_, timestamp = chain.seq, chain.hash, chain.timestamp

    def fresh(**rows: Any) -> CommittedBatch:
        chain.seq, chain.hash, chain.timestamp = seq, hash_, timestamp
        return chain.batch(**rows)

    ok_transfer = pay(1, CENTRAL_BANK, MERCHANT, 5, 5_000)
    ok_updates = [Account(CENTRAL_BANK, KGS, 1, debits_posted=5, timestamp=1),
                  Account(MERCHANT, KGS, 1, int(DMNEC), credits_posted=5, timestamp=2)]
    cases = {
        "unbalanced ledger totals": fresh(
            transfers_created=[ok_transfer], accounts_updated=ok_updates,
            ledger_totals=[LedgerTotals(KGS, 0, 5, 0, 4)],
        ),
        "debits exceed credits": fresh(
            transfers_created=[pay(1, MERCHANT, CENTRAL_BANK, 5, 5_000)],
            accounts_updated=[Account(MERCHANT, KGS, 1, int(DMNEC), debits_posted=5, timestamp=2),
                              Account(CENTRAL_BANK, KGS, 1, credits_posted=5, timestamp=1)],
            ledger_totals=[posted(KGS, 5)],
        ),
        "pending and posted debits exceed credits": fresh(
            accounts_updated=[Account(MERCHANT, KGS, 1, int(DMNEC), debits_pending=3, debits_posted=3,
                                      credits_posted=5, timestamp=2)],
        ),
        "debits overflow u128": fresh(
            accounts_updated=[Account(MERCHANT, KGS, 1, int(DMNEC), debits_pending=1, debits_posted=U128_MAX,
                                      credits_posted=U128_MAX, timestamp=2)],
            ledger_totals=[posted(KGS, 5)],
        ),
        "credits exceed debits": fresh(
            accounts_updated=[Account(CENTRAL_BANK, KGS, 1, int(CMNED), credits_pending=2, debits_posted=1,
                                      timestamp=1)],
        ),
        "same debit and credit account": fresh(
            transfers_created=[pay(1, MERCHANT, MERCHANT, 5, 5_000)], ledger_totals=[posted(KGS, 5)],
        ),
        "amount above u128": fresh(
            transfers_created=[ok_transfer._replace(amount=U128_MAX + 1)], ledger_totals=[posted(KGS, 5)],
        ),
        "duplicate account": fresh(accounts_created=[Account(MERCHANT, KGS, 1, timestamp=3)]),
        "duplicate transfer timestamp": fresh(
            transfers_created=[ok_transfer, pay(2, CENTRAL_BANK, MERCHANT, 5, 5_000)],
            accounts_updated=ok_updates, ledger_totals=[posted(KGS, 10)],
        ),
    }
    chain.seq, chain.hash, chain.timestamp = seq, hash_, timestamp
    return cases


FAILURES = list(_failing_batches(Chain()))


@pytest.mark.parametrize("case", FAILURES)
def test_a_refused_batch_leaves_the_store_exactly_as_before(store: LedgerStore, chain: Chain, case: str) -> None:
    commit(store, opening_batch(chain, Account(CENTRAL_BANK, KGS, 1), Account(MERCHANT, KGS, 1, int(DMNEC))))
    before = snapshot(store, [CENTRAL_BANK, MERCHANT], [1, 2])
    store.begin()
    # The engine never builds such a batch: the database's refusal is a broken invariant.
    with pytest.raises(InvariantViolation, match="the database refused batch 2") as refused:
        store.commit(_failing_batches(chain)[case])
    assert isinstance(refused.value.__cause__, DRIVER_REFUSALS)
    assert snapshot(store, [CENTRAL_BANK, MERCHANT], [1, 2]) == before
    # The store is usable again at once: the failed commit rolled back and released the lock.
    commit(store, chain.batch(accounts_created=[Account(TREASURY, KGS, 1, timestamp=3)]))
    assert store.head().seq == 2


def test_a_record_that_does_not_follow_the_head_is_refused(store: LedgerStore, chain: Chain) -> None:
    commit(store, opening_batch(chain, Account(CENTRAL_BANK, KGS, 1)))
    before = snapshot(store, [CENTRAL_BANK], [])
    skipped = Chain()
    skipped.seq, skipped.hash = 5, chain.hash
    wrong_parent = Chain()
    wrong_parent.seq = 1
    for bad in (skipped.batch(), wrong_parent.batch()):
        store.begin()
        with pytest.raises(InvariantViolation, match="does not follow the head"):
            store.commit(bad)
        assert snapshot(store, [CENTRAL_BANK], []) == before


def test_head_and_journal_scan(store: LedgerStore, chain: Chain) -> None:
    records = []
    for i in range(1, 4):
        batch = chain.batch(accounts_created=[Account(i, KGS, 1, timestamp=i)])
        assert store.begin().seq == i - 1
        store.commit(batch)
        records.append(batch.journal)
        assert store.head() == JournalHead(i, batch.journal.hash, batch.timestamp_max)
    assert store.scan_journal(0, 2) == records[:2]
    assert store.scan_journal(2, 10) == records[2:]
    assert store.scan_journal(3, 10) == []
    assert [r.prev_hash for r in records] == [GENESIS_HASH, records[0].hash, records[1].hash]


def test_a_commit_survives_close_and_reopen(
    store: LedgerStore, chain: Chain, reopen: Callable[[], LedgerStore]
) -> None:
    _merchant_history(store, chain)
    before = snapshot(store, [MERCHANT], list(range(1, 8)))
    store.close()
    again = reopen()
    assert snapshot(again, [MERCHANT], list(range(1, 8))) == before
    assert again.head().seq == 2
