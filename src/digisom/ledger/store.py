"""The `LedgerStore` protocol: what the ledger needs from a database.

One writer per ledger database (the `Ledger` service) calls `begin()`, reads what the
batch touches, and `commit()`s the whole batch in one transaction with set-based
writes. Readers call the lookup methods at any time. Adapters: `digisom.stores`.
Every adapter passes the same contract suites (tests/stores/test_store_contract.py and,
through the `Ledger`, tests/ledger/test_contract.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Protocol

from digisom.errors import DigisomError
from digisom.ledger.model import Account, AccountFilter, Balance, Pending, PendingState, Transfer

GENESIS_HASH = bytes(32)


class StoreUnavailable(DigisomError):
    """The database cannot serve this operation now: its connection was lost or its
    server is no longer the primary (a failover is under way). Nothing of the operation
    was written (but see `CommitInDoubt`); the caller may try again later (the API
    answers 503 with Retry-After)."""


class CommitInDoubt(StoreUnavailable):
    """A batch's COMMIT was sent, the connection was lost before its answer came, and
    no primary could be reached in time to look the batch up: it may or may not be
    written. Never repeated blindly: its ids find it once the database is back."""


@dataclass(frozen=True, slots=True)
class JournalHead:
    """The newest committed batch: its sequence number, hash and newest timestamp."""

    seq: int
    hash: bytes
    timestamp: int


@dataclass(frozen=True, slots=True)
class JournalRecord:
    """One committed batch in the hash-chained journal. `hash = sha256(prev_hash || payload)`."""

    seq: int
    prev_hash: bytes
    hash: bytes
    payload: bytes


@dataclass(frozen=True, slots=True)
class LedgerTotals:
    """Per ledger (currency), the sums of all accounts' balances. Debits equal credits.

    Each account stays within u128, but their sum need not: stores keep sums as u256."""

    ledger: int
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int


@dataclass(frozen=True, slots=True)
class CodeTotals:
    """Per ledger and account code, how many accounts and the sums of their balances.

    What the money invariant's auditor reads (`digisom.kernel.circulation`): one
    set-based read however many accounts share the code. Sums are u256, like `LedgerTotals`."""

    ledger: int
    code: int
    accounts: int
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int


@dataclass(slots=True)
class CommittedBatch:
    """Everything one batch writes, prepared by the engine; the store writes it atomically.

    Each touched account appears once in `accounts_updated` with its final flags and
    balances, so a store writes each balance once per batch.
    """

    journal: JournalRecord
    timestamp_max: int
    accounts_created: list[Account] = field(default_factory=list)
    accounts_updated: list[Account] = field(default_factory=list)
    transfers_created: list[Transfer] = field(default_factory=list)
    pendings_created: list[Pending] = field(default_factory=list)
    pendings_resolved: list[tuple[int, PendingState]] = field(default_factory=list)
    failed_transfer_ids: list[tuple[int, int]] = field(default_factory=list)  # (id, result code)
    balances_history: list[Balance] = field(default_factory=list)
    ledger_totals: list[LedgerTotals] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BatchReads:
    """What the writer reads before a batch runs, asked for together (`read_batch`)."""

    pendings_due: list[Pending]
    accounts: dict[int, Account]
    transfers: dict[int, Transfer]
    pendings: dict[int, Pending]
    failed_ids: dict[int, int]


class LedgerStore(Protocol):
    """A durable home for one ledger database. Not thread-safe: one instance per thread."""

    def begin(self) -> JournalHead:
        """Start the write transaction, taking the writer lock; return the journal head."""
        ...

    def commit(self, batch: CommittedBatch) -> None:
        """Write `batch` and commit. When this returns, the batch is durable.

        A batch the database refuses (a CHECK, UNIQUE or foreign key) raises
        `InvariantViolation` and writes nothing; other errors propagate. If the connection
        is lost during COMMIT the outcome is unknown: the writer compares `head()` with the
        batch's journal seq at its next `begin()` before assuming either."""
        ...

    def rollback(self) -> None:
        """Abandon the write transaction started by `begin()`."""
        ...

    def head(self) -> JournalHead:
        """The journal head as last committed (outside any write transaction)."""
        ...

    def get_accounts(self, ids: Collection[int]) -> dict[int, Account]:
        """The accounts among `ids` that exist."""
        ...

    def get_transfers(self, ids: Collection[int]) -> dict[int, Transfer]:
        """The transfers among `ids` that exist."""
        ...

    def get_failed_transfer_ids(self, ids: Collection[int]) -> dict[int, int]:
        """Of `ids`, those that failed on a transient result, with that result code."""
        ...

    def get_pendings(self, ids: Collection[int]) -> dict[int, Pending]:
        """The pending transfers among `ids`, with their live state."""
        ...

    def get_pendings_due(self, now_ns: int, limit: int) -> list[Pending]:
        """Pending transfers still `PENDING` with `0 < expires_at <= now_ns`, soonest first."""
        ...

    def get_ledger_totals(self) -> list[LedgerTotals]:
        """The per-ledger sums, ordered by ledger."""
        ...

    def get_code_totals(self, ledger: int) -> list[CodeTotals]:
        """Per account code of `ledger` that has accounts, their sums, ordered by code."""
        ...

    def read_batch(
        self,
        now_ns: int,
        due_limit: int,
        account_ids: Collection[int],
        transfer_ids: Collection[int],
        pending_ids: Collection[int],
    ) -> BatchReads:
        """In as few round trips as the database allows: `get_pendings_due(now_ns,
        due_limit)`, `get_accounts(account_ids)`, `get_transfers(transfer_ids |
        pending_ids)`, `get_pendings(pending_ids)` and `get_failed_transfer_ids(transfer_ids)`."""
        ...

    def get_account_transfers(self, query: AccountFilter) -> list[Transfer]:
        """A page of transfers debiting and/or crediting an account, by timestamp."""
        ...

    def get_account_balances(self, query: AccountFilter) -> list[Balance]:
        """A page of an account's balance history (accounts with the `history` flag).

        `debits`/`credits` select balances taken at transfers that debit/credit the
        account; balances with no transfer (expiries) only when both are set."""
        ...

    def scan_accounts(self, after_id: int, limit: int) -> list[Account]:
        """All accounts with id > `after_id`, ordered by id, at most `limit`."""
        ...

    def scan_journal(self, after_seq: int, limit: int) -> list[JournalRecord]:
        """Journal records with seq > `after_seq`, ordered by seq, at most `limit`."""
        ...

    def close(self) -> None:
        """Release the connection."""
        ...



def read_batch_one_by_one(
    store: LedgerStore,
    now_ns: int,
    due_limit: int,
    account_ids: Collection[int],
    transfer_ids: Collection[int],
    pending_ids: Collection[int],
) -> BatchReads:
    """`LedgerStore.read_batch` as separate reads: for stores where a read costs no round trip."""
    named = set(transfer_ids) | set(pending_ids)
    return BatchReads(
        pendings_due=store.get_pendings_due(now_ns, due_limit),
        accounts=store.get_accounts(account_ids) if account_ids else {},
        transfers=store.get_transfers(named) if named else {},
        pendings=store.get_pendings(pending_ids) if pending_ids else {},
        failed_ids=store.get_failed_transfer_ids(transfer_ids) if transfer_ids else {},
    )
