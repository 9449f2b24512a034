"""Result codes. Each enum lists its codes in order of precedence: when an event fails
several checks, the first check in this order wins, the same way every time.

Values are stable (they are stored and journaled); names are what the CLI and API print.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final


class CreateAccountResult(IntEnum):
    """The outcome of creating one account."""

    ok = 0
    linked_event_failed = 1
    linked_event_chain_open = 2
    # Input that could not be parsed into an event at all (boundary codes).
    malformed = 3
    unknown_flag = 4
    invalid_integer = 5
    timestamp_must_be_zero = 6
    reserved_flag = 7
    id_must_not_be_zero = 8
    id_must_not_be_int_max = 9
    exists_with_different_flags = 10
    exists_with_different_user_data_128 = 11
    exists_with_different_user_data_64 = 12
    exists_with_different_user_data_32 = 13
    exists_with_different_ledger = 14
    exists_with_different_code = 15
    exists = 16
    flags_are_mutually_exclusive = 17
    debits_pending_must_be_zero = 18
    debits_posted_must_be_zero = 19
    credits_pending_must_be_zero = 20
    credits_posted_must_be_zero = 21
    ledger_must_not_be_zero = 22
    code_must_not_be_zero = 23


class CreateTransferResult(IntEnum):
    """The outcome of creating one transfer."""

    ok = 0
    linked_event_failed = 1
    linked_event_chain_open = 2
    malformed = 3
    unknown_flag = 4
    invalid_integer = 5
    timestamp_must_be_zero = 6
    reserved_flag = 7
    id_must_not_be_zero = 8
    id_must_not_be_int_max = 9
    exists_with_different_flags = 10
    exists_with_different_pending_id = 11
    exists_with_different_timeout = 12
    exists_with_different_debit_account_id = 13
    exists_with_different_credit_account_id = 14
    exists_with_different_amount = 15
    exists_with_different_user_data_128 = 16
    exists_with_different_user_data_64 = 17
    exists_with_different_user_data_32 = 18
    exists_with_different_ledger = 19
    exists_with_different_code = 20
    exists = 21
    id_already_failed = 22
    flags_are_mutually_exclusive = 23
    debit_account_id_must_not_be_zero = 24
    debit_account_id_must_not_be_int_max = 25
    credit_account_id_must_not_be_zero = 26
    credit_account_id_must_not_be_int_max = 27
    accounts_must_be_different = 28
    pending_id_must_be_zero = 29
    pending_id_must_not_be_zero = 30
    pending_id_must_not_be_int_max = 31
    pending_id_must_be_different = 32
    timeout_reserved_for_pending_transfer = 33
    closing_transfer_must_be_pending = 34
    ledger_must_not_be_zero = 35
    code_must_not_be_zero = 36
    # Value 63: added later, checked here (a transfer that moves value moves some).
    amount_must_not_be_zero = 63
    debit_account_not_found = 37
    credit_account_not_found = 38
    accounts_must_have_the_same_ledger = 39
    transfer_must_have_the_same_ledger_as_accounts = 40
    pending_transfer_not_found = 41
    pending_transfer_not_pending = 42
    pending_transfer_has_different_debit_account_id = 43
    pending_transfer_has_different_credit_account_id = 44
    pending_transfer_has_different_ledger = 45
    pending_transfer_has_different_code = 46
    exceeds_pending_transfer_amount = 47
    pending_transfer_has_different_amount = 48
    pending_transfer_already_posted = 49
    pending_transfer_already_voided = 50
    pending_transfer_expired = 51
    debit_account_already_closed = 52
    credit_account_already_closed = 53
    overflows_debits_pending = 54
    overflows_credits_pending = 55
    overflows_debits_posted = 56
    overflows_credits_posted = 57
    overflows_debits = 58
    overflows_credits = 59
    overflows_timeout = 60
    exceeds_credits = 61
    exceeds_debits = 62


# Failures that depend on the ledger's state at the time, not on the event itself.
# Their ids are remembered: a retry of the same id gets `id_already_failed`, so that a
# transfer can never succeed later by surprise; retry with a new id (TigerBeetle 0.16).
TRANSIENT_TRANSFER_RESULTS: Final = frozenset(
    {
        CreateTransferResult.debit_account_not_found,
        CreateTransferResult.credit_account_not_found,
        CreateTransferResult.pending_transfer_not_found,
        CreateTransferResult.exceeds_credits,
        CreateTransferResult.exceeds_debits,
        CreateTransferResult.debit_account_already_closed,
        CreateTransferResult.credit_account_already_closed,
    }
)
