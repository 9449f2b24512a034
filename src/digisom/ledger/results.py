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
    reserved_flag = 6
    id_must_not_be_zero = 7
    id_must_not_be_int_max = 8
    exists_with_different_flags = 9
    exists_with_different_user_data_128 = 10
    exists_with_different_user_data_64 = 11
    exists_with_different_user_data_32 = 12
    exists_with_different_ledger = 13
    exists_with_different_code = 14
    exists = 15
    flags_are_mutually_exclusive = 16
    ledger_must_not_be_zero = 17
    code_must_not_be_zero = 18
    imported_event_not_expected = 19  # an account may not be created closed


class CreateTransferResult(IntEnum):
    """The outcome of creating one transfer."""

    ok = 0
    linked_event_failed = 1
    linked_event_chain_open = 2
    malformed = 3
    unknown_flag = 4
    invalid_integer = 5
    reserved_flag = 6
    id_must_not_be_zero = 7
    id_must_not_be_int_max = 8
    exists_with_different_flags = 9
    exists_with_different_pending_id = 10
    exists_with_different_timeout = 11
    exists_with_different_debit_account_id = 12
    exists_with_different_credit_account_id = 13
    exists_with_different_amount = 14
    exists_with_different_user_data_128 = 15
    exists_with_different_user_data_64 = 16
    exists_with_different_user_data_32 = 17
    exists_with_different_ledger = 18
    exists_with_different_code = 19
    exists = 20
    id_already_failed = 21
    flags_are_mutually_exclusive = 22
    debit_account_id_must_not_be_zero = 23
    debit_account_id_must_not_be_int_max = 24
    credit_account_id_must_not_be_zero = 25
    credit_account_id_must_not_be_int_max = 26
    accounts_must_be_different = 27
    pending_id_must_be_zero = 28
    pending_id_must_not_be_zero = 29
    pending_id_must_not_be_int_max = 30
    pending_id_must_be_different = 31
    timeout_reserved_for_pending_transfer = 32
    closing_transfer_must_be_pending = 33
    ledger_must_not_be_zero = 34
    code_must_not_be_zero = 35
    debit_account_not_found = 36
    credit_account_not_found = 37
    accounts_must_have_the_same_ledger = 38
    transfer_must_have_the_same_ledger_as_accounts = 39
    pending_transfer_not_found = 40
    pending_transfer_not_pending = 41
    pending_transfer_has_different_debit_account_id = 42
    pending_transfer_has_different_credit_account_id = 43
    pending_transfer_has_different_ledger = 44
    pending_transfer_has_different_code = 45
    exceeds_pending_transfer_amount = 46
    pending_transfer_has_different_amount = 47
    pending_transfer_already_posted = 48
    pending_transfer_already_voided = 49
    pending_transfer_expired = 50
    debit_account_already_closed = 51
    credit_account_already_closed = 52
    overflows_debits_pending = 53
    overflows_credits_pending = 54
    overflows_debits_posted = 55
    overflows_credits_posted = 56
    overflows_debits = 57
    overflows_credits = 58
    overflows_timeout = 59
    exceeds_credits = 60
    exceeds_debits = 61


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
