"""The ledger's data model, after TigerBeetle's: accounts, transfers, flags, limits.

Ids and amounts are unsigned 128-bit integers; timestamps are nanoseconds assigned by
the ledger, unique and strictly increasing. Records are frozen; balances are never
edited by a caller, only derived from transfers by the engine.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag
from typing import Final, NamedTuple

U128_MAX: Final = (1 << 128) - 1
U64_MAX: Final = (1 << 64) - 1
U32_MAX: Final = (1 << 32) - 1
U16_MAX: Final = (1 << 16) - 1
# A post of AMOUNT_MAX posts the whole pending amount (TigerBeetle 0.16 semantics).
AMOUNT_MAX: Final = U128_MAX
# TigerBeetle's message size allows 8,190 events per batch; we keep the same unit of commit.
BATCH_EVENTS_MAX: Final = 8190
# Page size limit for lookups and history queries.
PAGE_LIMIT_MAX: Final = 8190


class AccountFlags(IntFlag):
    """Account flags; bit values match TigerBeetle's."""

    NONE = 0
    LINKED = 1 << 0
    DEBITS_MUST_NOT_EXCEED_CREDITS = 1 << 1
    CREDITS_MUST_NOT_EXCEED_DEBITS = 1 << 2
    HISTORY = 1 << 3
    CLOSED = 1 << 5


class TransferFlags(IntFlag):
    """Transfer flags; bit values match TigerBeetle's."""

    NONE = 0
    LINKED = 1 << 0
    PENDING = 1 << 1
    POST_PENDING_TRANSFER = 1 << 2
    VOID_PENDING_TRANSFER = 1 << 3
    BALANCING_DEBIT = 1 << 4
    BALANCING_CREDIT = 1 << 5
    CLOSING_DEBIT = 1 << 6
    CLOSING_CREDIT = 1 << 7


ACCOUNT_FLAG_NAMES: Final[dict[str, AccountFlags]] = {
    "linked": AccountFlags.LINKED,
    "debits_must_not_exceed_credits": AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS,
    "credits_must_not_exceed_debits": AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS,
    "history": AccountFlags.HISTORY,
    "closed": AccountFlags.CLOSED,
}
TRANSFER_FLAG_NAMES: Final[dict[str, TransferFlags]] = {
    "linked": TransferFlags.LINKED,
    "pending": TransferFlags.PENDING,
    "post_pending_transfer": TransferFlags.POST_PENDING_TRANSFER,
    "void_pending_transfer": TransferFlags.VOID_PENDING_TRANSFER,
    "balancing_debit": TransferFlags.BALANCING_DEBIT,
    "balancing_credit": TransferFlags.BALANCING_CREDIT,
    "closing_debit": TransferFlags.CLOSING_DEBIT,
    "closing_credit": TransferFlags.CLOSING_CREDIT,
}
# IntFlag + IntFlag is a plain int at run time (typeshed says otherwise; mypyc checks it).
ACCOUNT_FLAGS_KNOWN: Final = AccountFlags(sum(ACCOUNT_FLAG_NAMES.values()))
TRANSFER_FLAGS_KNOWN: Final = TransferFlags(sum(TRANSFER_FLAG_NAMES.values()))


def flag_names(flags: int, names: dict[str, AccountFlags] | dict[str, TransferFlags]) -> list[str]:
    """The names of the bits set in `flags`, in declaration order."""
    return [name for name, bit in names.items() if flags & bit]


class PendingState(IntEnum):
    """Where a pending transfer stands."""

    PENDING = 1
    POSTED = 2
    VOIDED = 3
    EXPIRED = 4


class Account(NamedTuple):
    """An account and its four balances. `timestamp` is 0 until the ledger assigns it.

    Records are NamedTuples rather than frozen dataclasses: just as immutable, and
    several times cheaper to build, which matters at a million transfers per run.
    """

    id: int
    ledger: int
    code: int
    flags: int = 0
    user_data_128: int = 0
    user_data_64: int = 0
    user_data_32: int = 0
    debits_pending: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    credits_posted: int = 0
    timestamp: int = 0


class Transfer(NamedTuple):
    """A transfer between two accounts of one ledger. `timestamp` is set by the ledger.

    For post/void transfers the accounts, ledger and code may be 0 in the request:
    they are taken from the pending transfer, and the stored record holds them resolved.
    """

    id: int
    debit_account_id: int
    credit_account_id: int
    amount: int
    ledger: int
    code: int
    flags: int = 0
    pending_id: int = 0
    timeout_s: int = 0
    user_data_128: int = 0
    user_data_64: int = 0
    user_data_32: int = 0
    timestamp: int = 0


class Balance(NamedTuple):
    """An account's balances after one transfer (for accounts with the `history` flag)."""

    account_id: int
    timestamp: int
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int


class Pending(NamedTuple):
    """The live state of a pending transfer: what a post or void needs to know."""

    id: int
    debit_account_id: int
    credit_account_id: int
    amount: int
    ledger: int
    code: int
    flags: int
    expires_at: int  # ns; 0 = never
    state: PendingState


@dataclass(frozen=True, slots=True)
class AccountFilter:
    """A page of an account's transfers or balance history, by timestamp range."""

    account_id: int
    timestamp_min: int = 0
    timestamp_max: int = 0  # 0 = no upper bound
    limit: int = PAGE_LIMIT_MAX
    debits: bool = True
    credits: bool = True
    reversed: bool = False
