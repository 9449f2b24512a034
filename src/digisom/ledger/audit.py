"""The auditor's verifier: recompute the ledger from its journal alone and compare.

Written apart from the engine on purpose (a second, independent implementation of
the balance rules): it checks the hash chain, replays every batch to recompute every
balance and pending state, checks that debits equal credits per ledger and that no
account flag is ever broken, and compares the result with what the store holds.
It stops at the first discrepancy and names it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from digisom.ledger import journal
from digisom.ledger.model import AccountFlags, PendingState, Transfer, TransferFlags
from digisom.ledger.store import GENESIS_HASH, LedgerStore

JOURNAL_PAGE_RECORDS: Final = 64
ACCOUNT_PAGE_ROWS: Final = 8190
_U128_MAX: Final = (1 << 128) - 1


class Discrepancy(Exception):
    """The first thing found wrong; its message names it."""


@dataclass(slots=True)
class _Book:
    ledger: int
    flags: int
    balances: list[int] = field(default_factory=lambda: [0, 0, 0, 0])  # dp, dpo, cp, cpo


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of a verification. `discrepancy` is None when everything matched."""

    batches: int
    accounts: int
    transfers: int
    discrepancy: str | None

    @property
    def ok(self) -> bool:
        """True when nothing was found wrong."""
        return self.discrepancy is None


@dataclass(slots=True)
class _Replay:
    books: dict[int, _Book] = field(default_factory=dict)
    pendings: dict[int, tuple[int, int, int, int, PendingState]] = field(default_factory=dict)
    last_timestamp: int = 0
    transfers: int = 0

    def create_account(self, account_id: int, ledger: int, flags: int, timestamp: int) -> None:
        if account_id in self.books:
            raise Discrepancy(f"account {account_id} created twice")
        self._stamp(timestamp, f"account {account_id}")
        self.books[account_id] = _Book(ledger, flags & ~AccountFlags.LINKED)

    def expire(self, pending_id: int, timestamp: int) -> set[int]:
        self._stamp(timestamp, f"expiry of {pending_id}")
        debit, credit, amount, flags, state = self._pending(pending_id)
        if state is not PendingState.PENDING:
            raise Discrepancy(f"pending transfer {pending_id} expired while {state.name}")
        self._release(debit, credit, amount, flags)
        self.pendings[pending_id] = (debit, credit, amount, flags, PendingState.EXPIRED)
        return {debit, credit}

    def transfer(self, t: Transfer) -> set[int]:
        self._stamp(t.timestamp, f"transfer {t.id}")
        self.transfers += 1
        debit, credit = self._book(t.debit_account_id, t.id), self._book(t.credit_account_id, t.id)
        if debit.ledger != credit.ledger or t.ledger != debit.ledger:
            raise Discrepancy(f"transfer {t.id} crosses ledgers")
        if t.debit_account_id == t.credit_account_id:
            raise Discrepancy(f"transfer {t.id} debits and credits one account")
        flags = t.flags
        if flags & (TransferFlags.POST_PENDING_TRANSFER | TransferFlags.VOID_PENDING_TRANSFER):
            p_debit, p_credit, p_amount, p_flags, state = self._pending(t.pending_id)
            if state is not PendingState.PENDING:
                raise Discrepancy(f"transfer {t.id} resolves {t.pending_id}, which is {state.name}")
            if (p_debit, p_credit) != (t.debit_account_id, t.credit_account_id) or t.amount > p_amount:
                raise Discrepancy(f"transfer {t.id} does not match pending transfer {t.pending_id}")
            is_post = bool(flags & TransferFlags.POST_PENDING_TRANSFER)
            self._release(p_debit, p_credit, p_amount, 0 if is_post else p_flags)
            if is_post:
                debit.balances[1] += t.amount
                credit.balances[3] += t.amount
            new_state = PendingState.POSTED if is_post else PendingState.VOIDED
            self.pendings[t.pending_id] = (p_debit, p_credit, p_amount, p_flags, new_state)
        else:
            if debit.flags & AccountFlags.CLOSED or credit.flags & AccountFlags.CLOSED:
                raise Discrepancy(f"transfer {t.id} moves money on a closed account")
            if flags & TransferFlags.PENDING:
                debit.balances[0] += t.amount
                credit.balances[2] += t.amount
                self.pendings[t.id] = (t.debit_account_id, t.credit_account_id, t.amount, flags,
                                       PendingState.PENDING)
                if flags & TransferFlags.CLOSING_DEBIT:
                    debit.flags |= AccountFlags.CLOSED
                if flags & TransferFlags.CLOSING_CREDIT:
                    credit.flags |= AccountFlags.CLOSED
            else:
                debit.balances[1] += t.amount
                credit.balances[3] += t.amount
        return {t.debit_account_id, t.credit_account_id}

    def check_flags(self, account_ids: set[int], where: str) -> None:
        for account_id in account_ids:
            book = self.books[account_id]
            dp, dpo, cp, cpo = book.balances
            if min(book.balances) < 0 or max(book.balances) > _U128_MAX:
                raise Discrepancy(f"{where}: account {account_id} has a balance out of range")
            if book.flags & AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS and dp + dpo > cpo:
                raise Discrepancy(f"{where}: account {account_id} debits exceed credits")
            if book.flags & AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS and cp + cpo > dpo:
                raise Discrepancy(f"{where}: account {account_id} credits exceed debits")

    def _release(self, debit_id: int, credit_id: int, amount: int, closing_flags: int) -> None:
        debit, credit = self.books[debit_id], self.books[credit_id]
        debit.balances[0] -= amount
        credit.balances[2] -= amount
        if closing_flags & TransferFlags.CLOSING_DEBIT:
            debit.flags &= ~AccountFlags.CLOSED
        if closing_flags & TransferFlags.CLOSING_CREDIT:
            credit.flags &= ~AccountFlags.CLOSED

    def _pending(self, pending_id: int) -> tuple[int, int, int, int, PendingState]:
        try:
            return self.pendings[pending_id]
        except KeyError:
            raise Discrepancy(f"pending transfer {pending_id} is not in the journal") from None

    def _book(self, account_id: int, transfer_id: int) -> _Book:
        try:
            return self.books[account_id]
        except KeyError:
            raise Discrepancy(f"transfer {transfer_id} names unknown account {account_id}") from None

    def _stamp(self, timestamp: int, what: str) -> None:
        if timestamp <= self.last_timestamp:
            raise Discrepancy(f"{what}: timestamp {timestamp} does not increase")
        self.last_timestamp = timestamp


def verify(store: LedgerStore, on_batch: Callable[[int], None] | None = None) -> VerifyReport:
    """Verify `store` from its journal; `on_batch(seq)` reports progress."""
    replay = _Replay()
    batches = 0
    try:
        batches = _replay_journal(store, replay, on_batch)
        _compare_store(store, replay)
    except Discrepancy as found:
        return VerifyReport(batches, len(replay.books), replay.transfers, str(found))
    except journal.JournalError as bad:
        return VerifyReport(batches, len(replay.books), replay.transfers, f"journal undecodable: {bad}")
    return VerifyReport(batches, len(replay.books), replay.transfers, None)


def _replay_journal(store: LedgerStore, replay: _Replay, on_batch: Callable[[int], None] | None) -> int:
    prev_hash, seq = GENESIS_HASH, 0
    while page := store.scan_journal(seq, JOURNAL_PAGE_RECORDS):
        for record in page:
            where = f"journal record {record.seq}"
            if record.seq != seq + 1:
                raise Discrepancy(f"{where}: expected seq {seq + 1}")
            if record.prev_hash != prev_hash:
                raise Discrepancy(f"{where}: previous hash does not match record {seq}")
            if journal.chain_hash(record.prev_hash, record.payload) != record.hash:
                raise Discrepancy(f"{where}: hash does not match its content")
            batch = journal.decode(record.payload)
            if batch.seq != record.seq:
                raise Discrepancy(f"{where}: payload names seq {batch.seq}")
            touched: set[int] = set()
            # The engine's order within a batch: due holds expire first, then the events.
            for pending_id, timestamp in batch.expired:
                touched |= replay.expire(pending_id, timestamp)
            for account in batch.accounts:
                replay.create_account(account.id, account.ledger, account.flags, account.timestamp)
            for transfer in batch.transfers:
                touched |= replay.transfer(transfer)
            replay.check_flags(touched, where)
            if replay.last_timestamp > batch.timestamp_max:
                raise Discrepancy(f"{where}: an event is newer than the batch's timestamp")
            prev_hash, seq = record.hash, record.seq
            if on_batch is not None:
                on_batch(seq)
    head = store.head()
    if (head.seq, head.hash) != (seq, prev_hash):
        raise Discrepancy(f"journal head says seq {head.seq}, the journal ends at {seq}")
    return seq


def _compare_store(store: LedgerStore, replay: _Replay) -> None:
    seen = 0
    after = 0
    while page := store.scan_accounts(after, ACCOUNT_PAGE_ROWS):
        for account in page:
            book = replay.books.get(account.id)
            if book is None:
                raise Discrepancy(f"account {account.id} is stored but not in the journal")
            stored = [account.debits_pending, account.debits_posted, account.credits_pending, account.credits_posted]
            if stored != book.balances:
                raise Discrepancy(f"account {account.id}: stored balances {stored}, journal gives {book.balances}")
            if account.flags != book.flags:
                raise Discrepancy(f"account {account.id}: stored flags {account.flags}, journal gives {book.flags}")
            seen += 1
        after = page[-1].id
    if seen != len(replay.books):
        raise Discrepancy(f"{len(replay.books) - seen} journaled accounts are missing from the store")
    sums: dict[int, list[int]] = {}
    for book in replay.books.values():
        total = sums.setdefault(book.ledger, [0, 0, 0, 0])
        for index, value in enumerate(book.balances):
            total[index] += value
    for ledger, (dp, dpo, cp, cpo) in sorted(sums.items()):
        if dp != cp or dpo != cpo:
            raise Discrepancy(f"ledger {ledger}: debits {dp}/{dpo} != credits {cp}/{cpo} (pending/posted)")
    stored_totals = {t.ledger: [t.debits_pending, t.debits_posted, t.credits_pending, t.credits_posted]
                     for t in store.get_ledger_totals()}
    if stored_totals != sums:
        raise Discrepancy(f"stored ledger totals {stored_totals} differ from the journal's {sums}")
    pending_ids = list(replay.pendings)
    for start in range(0, len(pending_ids), ACCOUNT_PAGE_ROWS):
        chunk = pending_ids[start : start + ACCOUNT_PAGE_ROWS]
        stored_pendings = store.get_pendings(chunk)
        for pending_id in chunk:
            expected = replay.pendings[pending_id][4]
            found = stored_pendings.get(pending_id)
            if found is None or found.state != expected:
                raise Discrepancy(f"pending transfer {pending_id}: stored {found and found.state}, journal {expected}")
