"""The ledger contract: every store kind (memory, SQLite, PostgreSQL) runs it unchanged."""

from __future__ import annotations

import pytest

from digisom.ledger.journal import chain_hash
from digisom.ledger.model import (
    AMOUNT_MAX,
    BATCH_EVENTS_MAX,
    U128_MAX,
    Account,
    AccountFilter,
    AccountFlags,
    Transfer,
    TransferFlags,
)
from digisom.ledger.results import CreateAccountResult as A
from digisom.ledger.results import CreateTransferResult as R
from digisom.ledger.service import BatchTooLarge, Ledger
from digisom.ledger.store import LedgerStore

from .conftest import Clock

KGS = 417
USD = 840
RESERVES = 1
WALLET = 2

F = TransferFlags
DMNEC = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS

# Role names for account ids.
CENTRAL_BANK, COMMERCIAL_BANK, TREASURY, MERCHANT, PENSIONER, DOLLAR_BANK = 1, 2, 3, 4, 5, 6


def open_accounts(ledger: Ledger) -> None:
    """The central bank may go negative (it issues); everyone else must be funded."""
    results = ledger.create_accounts(
        [
            Account(CENTRAL_BANK, KGS, RESERVES),
            Account(COMMERCIAL_BANK, KGS, RESERVES, DMNEC | AccountFlags.HISTORY),
            Account(TREASURY, KGS, RESERVES, DMNEC),
            Account(MERCHANT, KGS, WALLET, DMNEC | AccountFlags.HISTORY),
            Account(PENSIONER, KGS, WALLET, DMNEC),
            Account(DOLLAR_BANK, USD, RESERVES),
        ]
    )
    assert results == [A.ok] * 6


def pay(tid: int, debit: int, credit: int, amount: int, flags: int = 0, **fields: int) -> Transfer:
    return Transfer(tid, debit, credit, amount, fields.pop("ledger", KGS), fields.pop("code", 1), flags, **fields)


def balances(ledger: Ledger, account_id: int) -> tuple[int, int, int, int]:
    (a,) = ledger.lookup_accounts([account_id])
    return (a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted)


def fund(ledger: Ledger, account_id: int, amount: int, tid: int) -> None:
    assert ledger.create_transfers([pay(tid, CENTRAL_BANK, account_id, amount)]) == [R.ok]


# -- accounts --------------------------------------------------------------------------


def test_accounts_are_created_with_zero_balances_and_increasing_timestamps(ledger: Ledger) -> None:
    open_accounts(ledger)
    accounts = ledger.lookup_accounts([CENTRAL_BANK, COMMERCIAL_BANK, MERCHANT])
    assert [a.id for a in accounts] == [CENTRAL_BANK, COMMERCIAL_BANK, MERCHANT]
    assert all(a.debits_posted == a.credits_posted == 0 for a in accounts)
    stamps = [a.timestamp for a in accounts]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3 and stamps[0] > 0


def test_account_idempotency_and_field_precedence(ledger: Ledger) -> None:
    open_accounts(ledger)
    again = Account(COMMERCIAL_BANK, KGS, RESERVES, DMNEC | AccountFlags.HISTORY)
    assert ledger.create_accounts([again]) == [A.exists]
    assert ledger.create_accounts([Account(COMMERCIAL_BANK, USD, 9, DMNEC)]) == [A.exists_with_different_flags]
    assert ledger.create_accounts([Account(COMMERCIAL_BANK, KGS, RESERVES, DMNEC | AccountFlags.HISTORY,
                                           user_data_64=7)]) == [A.exists_with_different_user_data_64]
    assert ledger.create_accounts([Account(CENTRAL_BANK, USD, RESERVES)]) == [A.exists_with_different_ledger]
    assert ledger.create_accounts([Account(CENTRAL_BANK, KGS, 9)]) == [A.exists_with_different_code]


@pytest.mark.parametrize(
    ("account", "expected"),
    [
        (Account(0, KGS, 1), A.id_must_not_be_zero),
        (Account(U128_MAX, KGS, 1), A.id_must_not_be_int_max),
        (Account(10, KGS, 1, 1 << 12), A.reserved_flag),
        (Account(10, 0, 1), A.ledger_must_not_be_zero),
        (Account(10, KGS, 0), A.code_must_not_be_zero),
        (Account(10, KGS, 1, AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
                 | AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS), A.flags_are_mutually_exclusive),
        (Account(10, KGS, 1, credits_posted=5), A.credits_posted_must_be_zero),
        (Account(10, KGS, 1, timestamp=5), A.timestamp_must_be_zero),
        # Precedence: the reserved flag is reported before the zero id.
        (Account(0, 0, 0, 1 << 12), A.reserved_flag),
    ],
)
def test_invalid_accounts_get_their_result_code(ledger: Ledger, account: Account, expected: A) -> None:
    assert ledger.create_accounts([account]) == [expected]
    assert ledger.lookup_accounts([account.id]) == []


def test_linked_accounts_are_created_all_or_nothing(ledger: Ledger) -> None:
    results = ledger.create_accounts(
        [Account(20, KGS, 1, AccountFlags.LINKED), Account(21, KGS, 0), Account(22, KGS, 1)]
    )
    assert results == [A.linked_event_failed, A.code_must_not_be_zero, A.ok]
    assert [a.id for a in ledger.lookup_accounts([20, 21, 22])] == [22]


# -- single-phase transfers --------------------------------------------------------------


def test_transfer_moves_posted_balances_and_ledger_balances(ledger: Ledger) -> None:
    open_accounts(ledger)
    fund(ledger, COMMERCIAL_BANK, 1_000_00, tid=100)
    assert ledger.create_transfers([pay(101, COMMERCIAL_BANK, PENSIONER, 250_00)]) == [R.ok]
    assert balances(ledger, CENTRAL_BANK) == (0, 1_000_00, 0, 0)
    assert balances(ledger, COMMERCIAL_BANK) == (0, 250_00, 0, 1_000_00)
    assert balances(ledger, PENSIONER) == (0, 0, 0, 250_00)
    (totals,) = [t for t in ledger.store.get_ledger_totals() if t.ledger == KGS]
    assert totals.debits_posted == totals.credits_posted == 1_250_00


def test_insufficient_funds_is_refused_and_its_id_remembered(ledger: Ledger) -> None:
    open_accounts(ledger)
    fund(ledger, PENSIONER, 10_00, tid=100)
    assert ledger.create_transfers([pay(101, PENSIONER, MERCHANT, 10_01)]) == [R.exceeds_credits]
    assert balances(ledger, PENSIONER) == (0, 0, 0, 10_00)
    # The id failed on a transient result: even once funds arrive, the same id stays failed.
    fund(ledger, PENSIONER, 5_00, tid=102)
    assert ledger.create_transfers([pay(101, PENSIONER, MERCHANT, 10_01)]) == [R.id_already_failed]
    assert ledger.create_transfers([pay(103, PENSIONER, MERCHANT, 10_01)]) == [R.ok]


def test_exceeds_debits_for_credit_limited_account(ledger: Ledger) -> None:
    open_accounts(ledger)
    assert ledger.create_accounts([Account(30, KGS, 1, AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS)]) == [A.ok]
    assert ledger.create_transfers([pay(100, CENTRAL_BANK, 30, 1)]) == [R.exceeds_debits]
    assert ledger.create_transfers([pay(101, 30, CENTRAL_BANK, 5), pay(102, CENTRAL_BANK, 30, 5)]) == [R.ok, R.ok]


def test_transfer_idempotency_distinguishes_every_field(ledger: Ledger) -> None:
    open_accounts(ledger)
    fund(ledger, COMMERCIAL_BANK, 100, tid=100)
    original = pay(101, COMMERCIAL_BANK, MERCHANT, 40, user_data_128=9, user_data_64=8, user_data_32=7)
    assert ledger.create_transfers([original]) == [R.ok]
    assert ledger.create_transfers([original]) == [R.exists]
    assert balances(ledger, MERCHANT) == (0, 0, 0, 40)  # not paid twice
    variants = [
        (pay(101, COMMERCIAL_BANK, MERCHANT, 40, F.LINKED), R.linked_event_chain_open),
        (pay(101, COMMERCIAL_BANK, MERCHANT, 40, F.PENDING), R.exists_with_different_flags),
        (pay(101, COMMERCIAL_BANK, PENSIONER, 40), R.exists_with_different_credit_account_id),
        (pay(101, TREASURY, MERCHANT, 40), R.exists_with_different_debit_account_id),
        (pay(101, COMMERCIAL_BANK, MERCHANT, 41), R.exists_with_different_amount),
        (pay(101, COMMERCIAL_BANK, MERCHANT, 40, user_data_128=1, user_data_64=8, user_data_32=7),
         R.exists_with_different_user_data_128),
        (pay(101, COMMERCIAL_BANK, MERCHANT, 40, user_data_128=9, user_data_64=1, user_data_32=7),
         R.exists_with_different_user_data_64),
        (pay(101, COMMERCIAL_BANK, MERCHANT, 40, user_data_128=9, user_data_64=8, user_data_32=1),
         R.exists_with_different_user_data_32),
        (pay(101, COMMERCIAL_BANK, MERCHANT, 40, user_data_128=9, user_data_64=8, user_data_32=7, code=2),
         R.exists_with_different_code),
        (pay(101, COMMERCIAL_BANK, MERCHANT, 40, user_data_128=9, user_data_64=8, user_data_32=7, ledger=USD),
         R.exists_with_different_ledger),
    ]
    for variant, expected in variants:
        assert ledger.create_transfers([variant]) == [expected], variant


@pytest.mark.parametrize(
    ("transfer", "expected"),
    [
        (pay(0, CENTRAL_BANK, MERCHANT, 1), R.id_must_not_be_zero),
        (pay(U128_MAX, CENTRAL_BANK, MERCHANT, 1), R.id_must_not_be_int_max),
        (pay(50, CENTRAL_BANK, MERCHANT, 1, 1 << 14), R.reserved_flag),
        (pay(50, CENTRAL_BANK, MERCHANT, 1, F.PENDING | F.VOID_PENDING_TRANSFER), R.flags_are_mutually_exclusive),
        (pay(50, 0, MERCHANT, 1), R.debit_account_id_must_not_be_zero),
        (pay(50, U128_MAX, MERCHANT, 1), R.debit_account_id_must_not_be_int_max),
        (pay(50, CENTRAL_BANK, 0, 1), R.credit_account_id_must_not_be_zero),
        (pay(50, CENTRAL_BANK, CENTRAL_BANK, 1), R.accounts_must_be_different),
        (pay(50, CENTRAL_BANK, MERCHANT, 1, pending_id=3), R.pending_id_must_be_zero),
        (pay(50, CENTRAL_BANK, MERCHANT, 1, timeout_s=3), R.timeout_reserved_for_pending_transfer),
        (pay(50, CENTRAL_BANK, MERCHANT, 1, F.CLOSING_DEBIT), R.closing_transfer_must_be_pending),
        (pay(50, CENTRAL_BANK, MERCHANT, 1, ledger=0), R.ledger_must_not_be_zero),
        (pay(50, CENTRAL_BANK, MERCHANT, 1, code=0), R.code_must_not_be_zero),
        (pay(50, 99, MERCHANT, 1), R.debit_account_not_found),
        (pay(50, CENTRAL_BANK, 99, 1), R.credit_account_not_found),
        (pay(50, DOLLAR_BANK, MERCHANT, 1), R.accounts_must_have_the_same_ledger),
        (pay(50, CENTRAL_BANK, MERCHANT, 1, ledger=USD), R.transfer_must_have_the_same_ledger_as_accounts),
        (pay(50, PENSIONER, MERCHANT, 1), R.exceeds_credits),
        (pay(50, CENTRAL_BANK, MERCHANT, 1, timestamp=1), R.timestamp_must_be_zero),
        # Precedence: with several faults, the earliest check in the enum wins.
        (pay(0, 0, 0, 1, ledger=0, code=0), R.id_must_not_be_zero),
        (pay(50, 0, 0, 1, ledger=0), R.debit_account_id_must_not_be_zero),
    ],
)
def test_invalid_transfers_get_their_result_code(ledger: Ledger, transfer: Transfer, expected: R) -> None:
    open_accounts(ledger)
    assert ledger.create_transfers([transfer]) == [expected]
    assert balances(ledger, MERCHANT) == (0, 0, 0, 0)


def test_overflow_is_refused(ledger: Ledger) -> None:
    open_accounts(ledger)
    fund(ledger, MERCHANT, U128_MAX, tid=100)
    # The central bank's debits overflow too; the debit side is checked first.
    assert ledger.create_transfers([pay(101, CENTRAL_BANK, MERCHANT, 1)]) == [R.overflows_debits_posted]
    assert ledger.create_accounts([Account(40, KGS, 1)]) == [A.ok]
    assert ledger.create_transfers([pay(102, 40, MERCHANT, 1)]) == [R.overflows_credits_posted]
    assert balances(ledger, MERCHANT) == (0, 0, 0, U128_MAX)


# -- linked chains ---------------------------------------------------------------------


def test_linked_chain_is_all_or_nothing(ledger: Ledger) -> None:
    open_accounts(ledger)
    fund(ledger, PENSIONER, 100, tid=100)
    results = ledger.create_transfers(
        [
            pay(101, PENSIONER, MERCHANT, 60, F.LINKED),
            pay(102, PENSIONER, MERCHANT, 60, F.LINKED),  # fails: only 40 left
            pay(103, CENTRAL_BANK, TREASURY, 5),
            pay(104, CENTRAL_BANK, TREASURY, 7),  # a separate, independent event
        ]
    )
    assert results == [R.linked_event_failed, R.exceeds_credits, R.linked_event_failed, R.ok]
    assert balances(ledger, PENSIONER) == (0, 0, 0, 100)
    assert balances(ledger, TREASURY) == (0, 0, 0, 7)
    assert ledger.lookup_transfers([101, 102, 103]) == []
    # Only the transient failure's id is remembered; the chain's other ids stay free.
    assert ledger.create_transfers([pay(101, PENSIONER, MERCHANT, 60)]) == [R.ok]
    assert ledger.create_transfers([pay(102, PENSIONER, MERCHANT, 1)]) == [R.id_already_failed]


def test_chain_open_at_end_of_batch_fails(ledger: Ledger) -> None:
    open_accounts(ledger)
    results = ledger.create_transfers([pay(101, CENTRAL_BANK, MERCHANT, 1, F.LINKED),
                                       pay(102, CENTRAL_BANK, MERCHANT, 1, F.LINKED)])
    assert results == [R.linked_event_failed, R.linked_event_chain_open]
    assert balances(ledger, MERCHANT) == (0, 0, 0, 0)


def test_retried_chain_answers_exists(ledger: Ledger) -> None:
    open_accounts(ledger)
    chain = [pay(101, CENTRAL_BANK, PENSIONER, 50, F.LINKED), pay(102, PENSIONER, MERCHANT, 50)]
    assert ledger.create_transfers(chain) == [R.ok, R.ok]
    assert ledger.create_transfers(chain) == [R.exists, R.exists]
    assert balances(ledger, MERCHANT) == (0, 0, 0, 50)


def test_a_later_event_sees_an_earlier_one_in_the_same_batch(ledger: Ledger) -> None:
    open_accounts(ledger)
    results = ledger.create_transfers(
        [pay(101, CENTRAL_BANK, PENSIONER, 30), pay(102, PENSIONER, MERCHANT, 30),
         pay(101, CENTRAL_BANK, PENSIONER, 30)]
    )
    assert results == [R.ok, R.ok, R.exists]


# -- two-phase transfers -----------------------------------------------------------------


def test_pending_then_full_post(ledger: Ledger) -> None:
    open_accounts(ledger)
    fund(ledger, PENSIONER, 100, tid=100)
    assert ledger.create_transfers([pay(101, PENSIONER, MERCHANT, 70, F.PENDING)]) == [R.ok]
    assert balances(ledger, PENSIONER) == (70, 0, 0, 100)
    assert balances(ledger, MERCHANT) == (0, 0, 70, 0)
    # The hold counts against the balance limit.
    assert ledger.create_transfers([pay(102, PENSIONER, MERCHANT, 31)]) == [R.exceeds_credits]
    post = Transfer(103, 0, 0, AMOUNT_MAX, 0, 0, F.POST_PENDING_TRANSFER, pending_id=101)
    assert ledger.create_transfers([post]) == [R.ok]
    assert balances(ledger, PENSIONER) == (0, 70, 0, 100)
    assert balances(ledger, MERCHANT) == (0, 0, 0, 70)
    (stored,) = ledger.lookup_transfers([103])
    assert (stored.debit_account_id, stored.credit_account_id, stored.amount, stored.ledger) == (
        PENSIONER, MERCHANT, 70, KGS)
    assert ledger.create_transfers([post]) == [R.exists]
    again = Transfer(104, 0, 0, 0, 0, 0, F.VOID_PENDING_TRANSFER, pending_id=101)
    assert ledger.create_transfers([again]) == [R.pending_transfer_already_posted]


def test_partial_post_releases_the_rest(ledger: Ledger) -> None:
    open_accounts(ledger)
    fund(ledger, PENSIONER, 100, tid=100)
    ledger.create_transfers([pay(101, PENSIONER, MERCHANT, 70, F.PENDING)])
    too_much = Transfer(102, PENSIONER, MERCHANT, 71, KGS, 1, F.POST_PENDING_TRANSFER, pending_id=101)
    assert ledger.create_transfers([too_much]) == [R.exceeds_pending_transfer_amount]
    partial = Transfer(103, PENSIONER, MERCHANT, 45, KGS, 1, F.POST_PENDING_TRANSFER, pending_id=101)
    assert ledger.create_transfers([partial]) == [R.ok]
    assert balances(ledger, PENSIONER) == (0, 45, 0, 100)
    assert balances(ledger, MERCHANT) == (0, 0, 0, 45)


def test_void_releases_the_hold(ledger: Ledger) -> None:
    open_accounts(ledger)
    fund(ledger, PENSIONER, 100, tid=100)
    ledger.create_transfers([pay(101, PENSIONER, MERCHANT, 70, F.PENDING)])
    wrong = Transfer(102, 0, 0, 5, 0, 0, F.VOID_PENDING_TRANSFER, pending_id=101)
    assert ledger.create_transfers([wrong]) == [R.pending_transfer_has_different_amount]
    other = Transfer(103, TREASURY, 0, 0, 0, 0, F.VOID_PENDING_TRANSFER, pending_id=101)
    assert ledger.create_transfers([other]) == [R.pending_transfer_has_different_debit_account_id]
    void = Transfer(104, 0, 0, 0, 0, 0, F.VOID_PENDING_TRANSFER, pending_id=101)
    assert ledger.create_transfers([void]) == [R.ok]
    assert balances(ledger, PENSIONER) == (0, 0, 0, 100)
    assert balances(ledger, MERCHANT) == (0, 0, 0, 0)
    post = Transfer(105, 0, 0, AMOUNT_MAX, 0, 0, F.POST_PENDING_TRANSFER, pending_id=101)
    assert ledger.create_transfers([post]) == [R.pending_transfer_already_voided]


def test_resolving_what_is_not_pending(ledger: Ledger) -> None:
    open_accounts(ledger)
    fund(ledger, PENSIONER, 100, tid=100)
    assert ledger.create_transfers([Transfer(101, 0, 0, 0, 0, 0, F.VOID_PENDING_TRANSFER, pending_id=100)]) == [
        R.pending_transfer_not_pending]
    assert ledger.create_transfers([Transfer(102, 0, 0, 0, 0, 0, F.VOID_PENDING_TRANSFER, pending_id=999)]) == [
        R.pending_transfer_not_found]
    assert ledger.create_transfers([Transfer(103, 0, 0, 0, 0, 0, F.VOID_PENDING_TRANSFER, pending_id=103)]) == [
        R.pending_id_must_be_different]
    assert ledger.create_transfers([Transfer(104, 0, 0, 0, 0, 0, F.VOID_PENDING_TRANSFER)]) == [
        R.pending_id_must_not_be_zero]


def test_pending_expires_after_its_timeout(ledger: Ledger, clock: Clock) -> None:
    open_accounts(ledger)
    fund(ledger, PENSIONER, 100, tid=100)
    assert ledger.create_transfers([pay(101, PENSIONER, MERCHANT, 70, F.PENDING, timeout_s=60)]) == [R.ok]
    clock.advance(59)
    assert ledger.expire_pending() == 0
    assert balances(ledger, PENSIONER) == (70, 0, 0, 100)
    clock.advance(2)
    assert ledger.expire_pending() == 1
    assert balances(ledger, PENSIONER) == (0, 0, 0, 100)
    assert balances(ledger, MERCHANT) == (0, 0, 0, 0)
    post = Transfer(102, 0, 0, AMOUNT_MAX, 0, 0, F.POST_PENDING_TRANSFER, pending_id=101)
    assert ledger.create_transfers([post]) == [R.pending_transfer_expired]


def test_expiry_also_happens_on_the_next_batch(ledger: Ledger, clock: Clock) -> None:
    open_accounts(ledger)
    fund(ledger, PENSIONER, 100, tid=100)
    ledger.create_transfers([pay(101, PENSIONER, MERCHANT, 100, F.PENDING, timeout_s=1)])
    clock.advance(2)
    assert ledger.create_transfers([pay(102, PENSIONER, MERCHANT, 100)]) == [R.ok]


def test_pending_created_and_posted_in_one_batch(ledger: Ledger) -> None:
    open_accounts(ledger)
    results = ledger.create_transfers(
        [pay(101, CENTRAL_BANK, MERCHANT, 9, F.PENDING, timeout_s=5),
         Transfer(102, 0, 0, 4, 0, 0, F.POST_PENDING_TRANSFER, pending_id=101)]
    )
    assert results == [R.ok, R.ok]
    assert balances(ledger, MERCHANT) == (0, 0, 0, 4)
    assert ledger.store.get_pendings([101])[101].state.name == "POSTED"


# -- balancing and closing -----------------------------------------------------------------


def test_balancing_debit_moves_at_most_what_is_there(ledger: Ledger) -> None:
    open_accounts(ledger)
    fund(ledger, PENSIONER, 30, tid=100)
    sweep = pay(101, PENSIONER, TREASURY, 1_000, F.BALANCING_DEBIT)
    assert ledger.create_transfers([sweep]) == [R.ok]
    (stored,) = ledger.lookup_transfers([101])
    assert stored.amount == 30
    assert balances(ledger, PENSIONER) == (0, 30, 0, 30)
    assert ledger.create_transfers([sweep]) == [R.exists]
    assert ledger.create_transfers([pay(101, PENSIONER, TREASURY, 20, F.BALANCING_DEBIT)]) == [
        R.exists_with_different_amount]


def test_balancing_credit_fills_up_to_the_debits(ledger: Ledger) -> None:
    open_accounts(ledger)
    assert ledger.create_accounts([Account(30, KGS, 1, AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS)]) == [A.ok]
    ledger.create_transfers([pay(100, 30, CENTRAL_BANK, 25)])
    assert ledger.create_transfers([pay(101, CENTRAL_BANK, 30, 100, F.BALANCING_CREDIT)]) == [R.ok]
    assert balances(ledger, 30) == (0, 25, 0, 25)


def test_closing_transfer_closes_and_voiding_reopens(ledger: Ledger) -> None:
    open_accounts(ledger)
    fund(ledger, PENSIONER, 10, tid=100)
    close = pay(101, PENSIONER, TREASURY, 0, F.PENDING | F.CLOSING_DEBIT)
    assert ledger.create_transfers([close]) == [R.ok]
    (account,) = ledger.lookup_accounts([PENSIONER])
    assert account.flags & AccountFlags.CLOSED
    assert ledger.create_transfers([pay(102, PENSIONER, MERCHANT, 1)]) == [R.debit_account_already_closed]
    assert ledger.create_transfers([pay(103, CENTRAL_BANK, PENSIONER, 1)]) == [R.credit_account_already_closed]
    reopen = Transfer(104, 0, 0, 0, 0, 0, F.VOID_PENDING_TRANSFER, pending_id=101)
    assert ledger.create_transfers([reopen]) == [R.ok]
    assert ledger.create_transfers([pay(105, PENSIONER, MERCHANT, 1)]) == [R.ok]


def test_closed_credit_account_refuses_credits(ledger: Ledger) -> None:
    open_accounts(ledger)
    assert ledger.create_transfers([pay(101, CENTRAL_BANK, MERCHANT, 0, F.PENDING | F.CLOSING_CREDIT)]) == [R.ok]
    assert ledger.create_transfers([pay(102, CENTRAL_BANK, MERCHANT, 1)]) == [R.credit_account_already_closed]


# -- lookups, history, limits ----------------------------------------------------------


def test_account_transfers_and_balance_history_are_paginated(ledger: Ledger) -> None:
    open_accounts(ledger)
    ledger.create_transfers([pay(100 + i, CENTRAL_BANK, MERCHANT, i + 1) for i in range(10)])
    ledger.create_transfers([pay(200, MERCHANT, PENSIONER, 3)])
    first = ledger.get_account_transfers(AccountFilter(MERCHANT, limit=4))
    assert [t.id for t in first] == [100, 101, 102, 103]
    following = ledger.get_account_transfers(AccountFilter(MERCHANT, timestamp_min=first[-1].timestamp + 1, limit=100))
    assert [t.id for t in following] == [*range(104, 110), 200]
    debits_only = ledger.get_account_transfers(AccountFilter(MERCHANT, credits=False))
    assert [t.id for t in debits_only] == [200]
    newest = ledger.get_account_transfers(AccountFilter(MERCHANT, reversed=True, limit=2))
    assert [t.id for t in newest] == [200, 109]
    history = ledger.get_account_balances(AccountFilter(MERCHANT, limit=100))
    assert [b.credits_posted for b in history][:3] == [1, 3, 6]
    assert history[-1].debits_posted == 3 and history[-1].credits_posted == 55
    debit_balances = ledger.get_account_balances(AccountFilter(MERCHANT, credits=False))
    assert [(b.debits_posted, b.credits_posted) for b in debit_balances] == [(3, 55)]
    stamps = [t.timestamp for t in first + following]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


def test_timestamps_strictly_increase_even_if_the_clock_goes_back(ledger: Ledger, clock: Clock) -> None:
    open_accounts(ledger)
    ledger.create_transfers([pay(100, CENTRAL_BANK, MERCHANT, 1)])
    clock.advance(-3600)
    ledger.create_transfers([pay(101, CENTRAL_BANK, MERCHANT, 1)])
    first, second = ledger.lookup_transfers([100, 101])
    assert second.timestamp > first.timestamp


def test_batch_limit(ledger: Ledger) -> None:
    open_accounts(ledger)
    batch = [pay(1000 + i, CENTRAL_BANK, MERCHANT, 1) for i in range(BATCH_EVENTS_MAX)]
    assert ledger.create_transfers(batch) == [R.ok] * BATCH_EVENTS_MAX
    with pytest.raises(BatchTooLarge):
        ledger.create_transfers([*batch, pay(99_999, CENTRAL_BANK, MERCHANT, 1)])
    assert balances(ledger, MERCHANT) == (0, 0, 0, BATCH_EVENTS_MAX)


def test_journal_is_hash_chained(ledger: Ledger) -> None:
    open_accounts(ledger)
    fund(ledger, MERCHANT, 5, tid=100)
    records = ledger.store.scan_journal(0, 100)
    assert [r.seq for r in records] == [1, 2]
    assert records[1].prev_hash == records[0].hash
    for record in records:
        assert record.hash == chain_hash(record.prev_hash, record.payload)
    assert ledger.store.head().seq == 2


def test_a_second_writer_invalidates_the_first_writers_cache(store: LedgerStore, clock: Clock) -> None:
    first = Ledger(store, clock_ns=clock)
    open_accounts(first)
    fund(first, PENSIONER, 10, tid=100)
    second = Ledger(store, clock_ns=clock)
    fund(second, PENSIONER, 10, tid=101)
    # `first` cached PENSIONER at 10; it must see 20 now and allow spending it.
    assert first.create_transfers([pay(102, PENSIONER, MERCHANT, 20)]) == [R.ok]
