"""Amounts are checked in the engine: 0 < amount <= u128 for a transfer that moves value.

A bad amount from an in-process caller (no JSON boundary in between) gets a result code,
the same in the engine and the reference model, and leaves balances untouched; the
shared writer (`Submitter`) keeps taking work after it."""

from __future__ import annotations

import pytest

from digisom.ledger.model import U128_MAX, Account, AccountFlags, Transfer, TransferFlags
from digisom.ledger.results import CreateTransferResult as R
from digisom.ledger.service import Ledger
from digisom.ledger.store import LedgerStore
from digisom.ledger.submitter import Submitter

KGS = 417
CENTRAL_BANK, MERCHANT = 1, 2
F = TransferFlags
ACCOUNTS = [Account(CENTRAL_BANK, KGS, 1), Account(MERCHANT, KGS, 1, AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)]

# Each bad amount and the code it must get; 2**128 - 1 is a valid amount (it fits).
BAD_AMOUNTS = [
    (0, R.amount_must_not_be_zero),
    (-1, R.invalid_integer),
    (-(2**64), R.invalid_integer),
    (2**128, R.invalid_integer),
    (2**200, R.invalid_integer),
]


def pay(tid: int, amount: int, flags: int = 0, **fields: int) -> Transfer:
    return Transfer(tid, CENTRAL_BANK, MERCHANT, amount, KGS, 1, flags, **fields)


@pytest.mark.parametrize(("amount", "expected"), BAD_AMOUNTS)
@pytest.mark.parametrize("flags", [0, int(F.PENDING)])
def test_a_bad_amount_gets_its_code_and_moves_nothing(ledger: Ledger, amount: int, expected: R, flags: int) -> None:
    ledger.create_accounts(ACCOUNTS)
    assert ledger.create_transfers([pay(10, amount, flags)]) == [expected]
    (merchant,) = ledger.lookup_accounts([MERCHANT])
    assert (merchant.debits_pending, merchant.debits_posted, merchant.credits_pending, merchant.credits_posted) == (
        0, 0, 0, 0,
    )
    # The next good transfer is taken, also in the same batch after a bad one.
    assert ledger.create_transfers([pay(11, amount, flags), pay(12, 5)]) == [expected, R.ok]


def test_the_largest_amount_is_valid(ledger: Ledger) -> None:
    ledger.create_accounts(ACCOUNTS)
    assert ledger.create_transfers([pay(10, U128_MAX)]) == [R.ok]
    (merchant,) = ledger.lookup_accounts([MERCHANT])
    assert merchant.credits_posted == U128_MAX


def test_a_bad_amount_in_a_linked_chain_fails_the_chain(ledger: Ledger) -> None:
    ledger.create_accounts(ACCOUNTS)
    chain = [pay(10, 5, F.LINKED), pay(11, -5)]
    assert ledger.create_transfers(chain) == [R.linked_event_failed, R.invalid_integer]
    (merchant,) = ledger.lookup_accounts([MERCHANT])
    assert merchant.credits_posted == 0


def test_a_post_or_void_with_a_bad_amount_gets_invalid_integer(ledger: Ledger) -> None:
    ledger.create_accounts(ACCOUNTS)
    assert ledger.create_transfers([pay(10, 50, F.PENDING)]) == [R.ok]
    post = Transfer(11, 0, 0, -1, 0, 0, F.POST_PENDING_TRANSFER, pending_id=10)
    void = Transfer(12, 0, 0, 2**128, 0, 0, F.VOID_PENDING_TRANSFER, pending_id=10)
    assert ledger.create_transfers([post, void]) == [R.invalid_integer, R.invalid_integer]
    (merchant,) = ledger.lookup_accounts([MERCHANT])
    assert (merchant.credits_pending, merchant.credits_posted) == (50, 0)


def test_a_closing_transfer_still_carries_no_amount(ledger: Ledger) -> None:
    ledger.create_accounts(ACCOUNTS)
    close = Transfer(10, MERCHANT, CENTRAL_BANK, 0, KGS, 1, F.PENDING | F.CLOSING_DEBIT)
    assert ledger.create_transfers([close]) == [R.ok]


@pytest.mark.parametrize("amount", [-7, 0, 2**128])
def test_the_shared_writer_takes_the_next_transfer_after_a_bad_amount(store: LedgerStore, amount: int) -> None:
    submitter = Submitter(Ledger(store))
    try:
        submitter.create_accounts(ACCOUNTS)
        bad = submitter.create_transfers([pay(10, amount)])
        assert bad in ([R.invalid_integer], [R.amount_must_not_be_zero])
        assert submitter.create_transfers([pay(11, 5)]) == [R.ok]
    finally:
        submitter.close()
    (merchant,) = Ledger(store).lookup_accounts([MERCHANT])
    assert merchant.credits_posted == 5
