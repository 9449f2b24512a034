"""The pure double-entry engine: it applies a batch of events to in-memory state.

No I/O. The caller (`digisom.ledger.service.Ledger`) loads what a batch touches into a
`Workspace`, calls `apply_accounts` / `apply_transfers`, and hands the `Outcome` to a
store. Each event gets a result code; checks run in the precedence order of the result
enums, so the first failing check wins, the same way every time. A `linked` chain
succeeds or fails as one: on failure its effects are undone from an undo log.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, TypeVar, cast

from digisom.errors import invariant
from digisom.ledger.model import (
    ACCOUNT_FLAGS_KNOWN,
    AMOUNT_MAX,
    TRANSFER_FLAGS_KNOWN,
    U128_MAX,
    Account,
    AccountFlags,
    Balance,
    Pending,
    PendingState,
    Transfer,
    TransferFlags,
)
from digisom.ledger.results import (
    TRANSIENT_TRANSFER_RESULTS,
    CreateAccountResult,
    CreateTransferResult,
)

NS_PER_S: Final = 1_000_000_000
# Timestamps are stored as signed 64-bit integers (SQL BIGINT).
TIMESTAMP_MAX: Final = (1 << 63) - 1

_R = CreateTransferResult
_A = CreateAccountResult
# Flag bits as plain ints: IntFlag arithmetic costs microseconds per operation, and
# these tests run several times per transfer on the hot path.
_LINKED: Final = int(TransferFlags.LINKED)
_PENDING: Final = int(TransferFlags.PENDING)
_POST: Final = int(TransferFlags.POST_PENDING_TRANSFER)
_VOID: Final = int(TransferFlags.VOID_PENDING_TRANSFER)
_BALANCING_DEBIT: Final = int(TransferFlags.BALANCING_DEBIT)
_BALANCING_CREDIT: Final = int(TransferFlags.BALANCING_CREDIT)
_CLOSING_DEBIT: Final = int(TransferFlags.CLOSING_DEBIT)
_CLOSING_CREDIT: Final = int(TransferFlags.CLOSING_CREDIT)
_TWO_PHASE_RESOLVE: Final = _POST | _VOID
_BALANCING: Final = _BALANCING_DEBIT | _BALANCING_CREDIT
_CLOSING: Final = _CLOSING_DEBIT | _CLOSING_CREDIT
_TRANSFER_RESERVED: Final = ~int(TRANSFER_FLAGS_KNOWN)
_ACCOUNT_RESERVED: Final = ~int(ACCOUNT_FLAGS_KNOWN)
_ACCOUNT_LINKED: Final = int(AccountFlags.LINKED)
_DMNEC: Final = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
_CMNED: Final = int(AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS)
_CLOSED: Final = int(AccountFlags.CLOSED)
_HISTORY: Final = int(AccountFlags.HISTORY)


class Slot:
    """The working, mutable state of one account during a batch."""

    __slots__ = ("account", "credits_pending", "credits_posted", "debits_pending", "debits_posted", "flags")

    def __init__(self, account: Account) -> None:
        self.account = account
        self.flags = int(account.flags)  # a plain int: IntFlag arithmetic is slow
        self.debits_pending = account.debits_pending
        self.debits_posted = account.debits_posted
        self.credits_pending = account.credits_pending
        self.credits_posted = account.credits_posted

    def snapshot(self) -> tuple[int, int, int, int, int]:
        """The mutable fields, for the undo log."""
        return (self.flags, self.debits_pending, self.debits_posted, self.credits_pending, self.credits_posted)

    def restore(self, saved: tuple[int, int, int, int, int]) -> None:
        """Put back a `snapshot()`."""
        (self.flags, self.debits_pending, self.debits_posted, self.credits_pending, self.credits_posted) = saved

    def to_account(self) -> Account:
        """The account with its current flags and balances."""
        a = self.account
        return Account(
            a.id, a.ledger, a.code, self.flags, a.user_data_128, a.user_data_64, a.user_data_32,
            self.debits_pending, self.debits_posted, self.credits_pending, self.credits_posted, a.timestamp,
        )


@dataclass(slots=True)
class Workspace:
    """What a batch may read and change, loaded by the caller before the batch runs.

    `accounts` must hold every account the batch names (absent means not found);
    `transfers` every transfer whose id or pending_id the batch names; `pendings` the
    live state of every pending transfer among those; `failed_ids` the ids among the
    batch's that failed before on a transient result.
    """

    accounts: dict[int, Slot]
    transfers: dict[int, Transfer]
    pendings: dict[int, Pending]
    failed_ids: dict[int, int]
    totals: dict[int, list[int]]  # ledger -> [debits_pending, debits_posted, credits_pending, credits_posted]


@dataclass(slots=True)
class Outcome:
    """What a batch changed, in commit order."""

    accounts_created: list[Account] = field(default_factory=list)
    transfers_created: list[Transfer] = field(default_factory=list)
    pendings_created: list[Pending] = field(default_factory=list)
    pendings_resolved: list[tuple[int, PendingState]] = field(default_factory=list)
    expired: list[tuple[int, int]] = field(default_factory=list)  # (pending id, timestamp)
    failed_transfer_ids: list[tuple[int, int]] = field(default_factory=list)
    balances_history: list[Balance] = field(default_factory=list)
    touched: set[int] = field(default_factory=set)
    touched_ledgers: set[int] = field(default_factory=set)


_Undo = Callable[[], None]
_Event = TypeVar("_Event")
_Result = TypeVar("_Result", CreateAccountResult, CreateTransferResult)


def _run_chains(
    events: Sequence[_Event | _Result],
    timestamp_first: int,
    apply_one: Callable[[_Event, int, list[_Undo] | None], _Result],
    is_linked: Callable[[_Event], bool],
    ok: _Result,
    exists: _Result,
    linked_event_failed: _Result,
    linked_event_chain_open: _Result,
    on_failure: Callable[[_Event, _Result], None],
) -> list[_Result]:
    """Apply events in order, honouring `linked` chains (all or nothing).

    An event given as a result code is one the boundary could not parse: it fails, and
    with it the chain it stands in. `exists` counts as success within a chain, so that
    a retried chain is answered, not failed.
    """
    results: list[_Result] = [ok] * len(events)
    index = 0
    count = len(events)
    while index < count:
        end = index  # the chain is events[index..end]
        while end < count:
            event = events[end]
            if isinstance(event, int) or not is_linked(event):
                break
            end += 1
        chain_open = end == count
        if chain_open:
            end = count - 1
        # A lone event checks everything before it changes anything, so it needs no undo log.
        undo: list[_Undo] | None = [] if end > index else None
        failed_at = -1
        for position in range(index, end + 1):
            event = events[position]
            if isinstance(event, int):
                result = cast(_Result, event)  # a parse failure from the boundary
            elif chain_open and position == end:
                result = linked_event_chain_open
            else:
                result = apply_one(event, timestamp_first + position, undo)
            if result not in (ok, exists):
                failed_at = position
                results[position] = result
                break
            results[position] = result
        if failed_at >= 0 and undo is not None:
            for action in reversed(undo):
                action()
            for position in range(index, end + 1):
                if position != failed_at:
                    results[position] = linked_event_failed
        if failed_at >= 0:
            failed_event = events[failed_at]
            if not isinstance(failed_event, int):
                on_failure(failed_event, results[failed_at])
        index = end + 1
    return results


class Engine:
    """Applies batches to a `Workspace`. One engine per batch; not thread-safe."""

    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace
        self.out = Outcome()

    # -- accounts --------------------------------------------------------------------

    def apply_accounts(
        self, events: Sequence[Account | CreateAccountResult], timestamp_first: int
    ) -> list[CreateAccountResult]:
        """Create accounts; event i gets timestamp `timestamp_first + i` if it succeeds."""
        return _run_chains(
            events,
            timestamp_first,
            self._create_account,
            lambda a: bool(a.flags & _ACCOUNT_LINKED),
            _A.ok,
            _A.exists,
            _A.linked_event_failed,
            _A.linked_event_chain_open,
            lambda _a, _r: None,
        )

    def _create_account(self, a: Account, timestamp: int, undo: list[_Undo] | None) -> CreateAccountResult:
        if a.timestamp != 0:
            return _A.timestamp_must_be_zero
        if a.flags & _ACCOUNT_RESERVED:
            return _A.reserved_flag
        if a.id == 0:
            return _A.id_must_not_be_zero
        if a.id == U128_MAX:
            return _A.id_must_not_be_int_max
        existing = self.ws.accounts.get(a.id)
        if existing is not None:
            return _account_exists(a, existing.account)
        if a.flags & _DMNEC and a.flags & _CMNED:
            return _A.flags_are_mutually_exclusive
        for value, code in (
            (a.debits_pending, _A.debits_pending_must_be_zero),
            (a.debits_posted, _A.debits_posted_must_be_zero),
            (a.credits_pending, _A.credits_pending_must_be_zero),
            (a.credits_posted, _A.credits_posted_must_be_zero),
        ):
            if value != 0:
                return code
        if a.ledger == 0:
            return _A.ledger_must_not_be_zero
        if a.code == 0:
            return _A.code_must_not_be_zero
        created = Account(
            a.id, a.ledger, a.code, a.flags & ~_ACCOUNT_LINKED,
            a.user_data_128, a.user_data_64, a.user_data_32, timestamp=timestamp,
        )
        self.ws.accounts[a.id] = Slot(created)
        self.out.accounts_created.append(created)
        self.ws.totals.setdefault(a.ledger, [0, 0, 0, 0])
        self.out.touched_ledgers.add(a.ledger)
        if undo is not None:

            def _undo() -> None:
                del self.ws.accounts[a.id]
                self.out.accounts_created.pop()

            undo.append(_undo)
        return _A.ok

    # -- expiry ----------------------------------------------------------------------

    def expire(self, due: Sequence[Pending], timestamp_first: int) -> int:
        """Release the holds of pending transfers whose timeout passed; returns the next
        free timestamp. `due` must be loaded with their accounts in the workspace."""
        timestamp = timestamp_first
        for pending in due:
            live = self.ws.pendings.get(pending.id, pending)
            if live.state is not PendingState.PENDING:
                continue
            debit = self.ws.accounts[live.debit_account_id]
            credit = self.ws.accounts[live.credit_account_id]
            debit.debits_pending -= live.amount
            credit.credits_pending -= live.amount
            self._reopen_closed_by(live, debit, credit)
            self._total(live.ledger, (-live.amount, 0, -live.amount, 0), None)
            self.ws.pendings[live.id] = live._replace(state=PendingState.EXPIRED)
            self.out.pendings_resolved.append((live.id, PendingState.EXPIRED))
            self.out.expired.append((live.id, timestamp))
            self._touch(debit, credit, timestamp)
            timestamp += 1
        return timestamp

    # -- transfers -------------------------------------------------------------------

    def apply_transfers(
        self, events: Sequence[Transfer | CreateTransferResult], timestamp_first: int
    ) -> list[CreateTransferResult]:
        """Create transfers; event i gets timestamp `timestamp_first + i` if it succeeds."""
        return _run_chains(
            events,
            timestamp_first,
            self._create_transfer,
            lambda t: bool(t.flags & _LINKED),
            _R.ok,
            _R.exists,
            _R.linked_event_failed,
            _R.linked_event_chain_open,
            self._remember_failure,
        )

    def _remember_failure(self, t: Transfer, result: CreateTransferResult) -> None:
        if result in TRANSIENT_TRANSFER_RESULTS and t.id not in self.ws.failed_ids:
            self.ws.failed_ids[t.id] = result
            self.out.failed_transfer_ids.append((t.id, int(result)))

    def _create_transfer(self, t: Transfer, timestamp: int, undo: list[_Undo] | None) -> CreateTransferResult:
        flags = int(t.flags)
        # In-process callers skip the JSON boundary's range checks: an amount outside u128
        # would otherwise reach the balances and the database's constraints.
        if not 0 <= t.amount <= U128_MAX:
            return _R.invalid_integer
        if t.timestamp != 0:
            return _R.timestamp_must_be_zero
        if flags & _TRANSFER_RESERVED:
            return _R.reserved_flag
        if t.id == 0:
            return _R.id_must_not_be_zero
        if t.id == U128_MAX:
            return _R.id_must_not_be_int_max
        existing = self.ws.transfers.get(t.id)
        if existing is not None:
            return _transfer_exists(t, existing)
        if t.id in self.ws.failed_ids:
            return _R.id_already_failed
        if flags & (_PENDING | _TWO_PHASE_RESOLVE):
            phases = bool(flags & _PENDING) + bool(flags & _POST) + bool(flags & _VOID)
            if phases > 1 or (flags & _TWO_PHASE_RESOLVE and flags & (_BALANCING | _CLOSING)):
                return _R.flags_are_mutually_exclusive
            if flags & _TWO_PHASE_RESOLVE:
                return self._resolve_pending(t, timestamp, undo)
        return self._create_single_phase_or_pending(t, timestamp, undo)

    def _create_single_phase_or_pending(
        self, t: Transfer, timestamp: int, undo: list[_Undo] | None
    ) -> CreateTransferResult:
        flags = int(t.flags)
        is_pending = bool(flags & _PENDING)
        if t.debit_account_id == 0:
            return _R.debit_account_id_must_not_be_zero
        if t.debit_account_id == U128_MAX:
            return _R.debit_account_id_must_not_be_int_max
        if t.credit_account_id == 0:
            return _R.credit_account_id_must_not_be_zero
        if t.credit_account_id == U128_MAX:
            return _R.credit_account_id_must_not_be_int_max
        if t.debit_account_id == t.credit_account_id:
            return _R.accounts_must_be_different
        if t.pending_id != 0:
            return _R.pending_id_must_be_zero
        if not is_pending and t.timeout_s != 0:
            return _R.timeout_reserved_for_pending_transfer
        if flags & _CLOSING and not is_pending:
            return _R.closing_transfer_must_be_pending
        if t.ledger == 0:
            return _R.ledger_must_not_be_zero
        if t.code == 0:
            return _R.code_must_not_be_zero
        if t.amount == 0 and not flags & _CLOSING:  # a closing transfer only closes
            return _R.amount_must_not_be_zero
        debit = self.ws.accounts.get(t.debit_account_id)
        if debit is None:
            return _R.debit_account_not_found
        credit = self.ws.accounts.get(t.credit_account_id)
        if credit is None:
            return _R.credit_account_not_found
        if debit.account.ledger != credit.account.ledger:
            return _R.accounts_must_have_the_same_ledger
        if t.ledger != debit.account.ledger:
            return _R.transfer_must_have_the_same_ledger_as_accounts
        if debit.flags & _CLOSED:
            return _R.debit_account_already_closed
        if credit.flags & _CLOSED:
            return _R.credit_account_already_closed

        amount = t.amount
        if flags & _BALANCING_DEBIT:
            room = debit.credits_posted - debit.debits_posted - debit.debits_pending
            amount = min(amount, max(room, 0))
        if flags & _BALANCING_CREDIT:
            room = credit.debits_posted - credit.credits_posted - credit.credits_pending
            amount = min(amount, max(room, 0))

        if is_pending:
            if debit.debits_pending + amount > U128_MAX:
                return _R.overflows_debits_pending
            if credit.credits_pending + amount > U128_MAX:
                return _R.overflows_credits_pending
        # A hold must be postable later, so pending transfers check the posted sums too.
        if debit.debits_posted + amount > U128_MAX:
            return _R.overflows_debits_posted
        if credit.credits_posted + amount > U128_MAX:
            return _R.overflows_credits_posted
        if debit.debits_pending + debit.debits_posted + amount > U128_MAX:
            return _R.overflows_debits
        if credit.credits_pending + credit.credits_posted + amount > U128_MAX:
            return _R.overflows_credits
        expires_at = 0
        if is_pending and t.timeout_s:
            expires_at = timestamp + t.timeout_s * NS_PER_S
            if expires_at > TIMESTAMP_MAX:
                return _R.overflows_timeout
        if debit.flags & _DMNEC and debit.debits_pending + debit.debits_posted + amount > debit.credits_posted:
            return _R.exceeds_credits
        if credit.flags & _CMNED and credit.credits_pending + credit.credits_posted + amount > credit.debits_posted:
            return _R.exceeds_debits

        self._save(debit, credit, undo)
        if is_pending:
            debit.debits_pending += amount
            credit.credits_pending += amount
            self._total(t.ledger, (amount, 0, amount, 0), undo)
        else:
            debit.debits_posted += amount
            credit.credits_posted += amount
            self._total(t.ledger, (0, amount, 0, amount), undo)
        if flags & _CLOSING_DEBIT:
            debit.flags |= _CLOSED
        if flags & _CLOSING_CREDIT:
            credit.flags |= _CLOSED

        stored = Transfer(
            t.id, t.debit_account_id, t.credit_account_id, amount, t.ledger, t.code,
            flags, 0, t.timeout_s, t.user_data_128, t.user_data_64, t.user_data_32, timestamp,
        )
        self._record(stored, undo)
        if is_pending:
            pending = Pending(
                t.id, t.debit_account_id, t.credit_account_id, amount, t.ledger, t.code,
                flags, expires_at, PendingState.PENDING,
            )
            self.ws.pendings[t.id] = pending
            self.out.pendings_created.append(pending)

            if undo is not None:

                def _undo_pending() -> None:
                    del self.ws.pendings[t.id]
                    self.out.pendings_created.pop()

                undo.append(_undo_pending)
        self._touch(debit, credit, timestamp)
        return _R.ok

    def _resolve_pending(self, t: Transfer, timestamp: int, undo: list[_Undo] | None) -> CreateTransferResult:
        """Post (fully or partly) or void a pending transfer."""
        is_post = bool(t.flags & _POST)
        if t.pending_id == 0:
            return _R.pending_id_must_not_be_zero
        if t.pending_id == U128_MAX:
            return _R.pending_id_must_not_be_int_max
        if t.pending_id == t.id:
            return _R.pending_id_must_be_different
        if t.timeout_s != 0:
            return _R.timeout_reserved_for_pending_transfer
        target = self.ws.transfers.get(t.pending_id)
        if target is None:
            return _R.pending_transfer_not_found
        if not target.flags & _PENDING:
            return _R.pending_transfer_not_pending
        pending = self.ws.pendings[t.pending_id]
        if t.debit_account_id not in (0, pending.debit_account_id):
            return _R.pending_transfer_has_different_debit_account_id
        if t.credit_account_id not in (0, pending.credit_account_id):
            return _R.pending_transfer_has_different_credit_account_id
        if t.ledger not in (0, pending.ledger):
            return _R.pending_transfer_has_different_ledger
        if t.code not in (0, pending.code):
            return _R.pending_transfer_has_different_code
        if is_post:
            amount = pending.amount if t.amount == AMOUNT_MAX else t.amount
            if amount > pending.amount:
                return _R.exceeds_pending_transfer_amount
        else:
            if t.amount not in (0, pending.amount):
                return _R.pending_transfer_has_different_amount
            amount = pending.amount
        if pending.state is PendingState.POSTED:
            return _R.pending_transfer_already_posted
        if pending.state is PendingState.VOIDED:
            return _R.pending_transfer_already_voided
        if pending.state is PendingState.EXPIRED or (pending.expires_at and timestamp >= pending.expires_at):
            return _R.pending_transfer_expired
        debit = self.ws.accounts[pending.debit_account_id]
        credit = self.ws.accounts[pending.credit_account_id]
        if is_post:
            # A closing transfer closed its own account; posting it keeps it closed.
            if debit.flags & _CLOSED and not pending.flags & _CLOSING_DEBIT:
                return _R.debit_account_already_closed
            if credit.flags & _CLOSED and not pending.flags & _CLOSING_CREDIT:
                return _R.credit_account_already_closed
            if debit.debits_posted + amount > U128_MAX:
                return _R.overflows_debits_posted
            if credit.credits_posted + amount > U128_MAX:
                return _R.overflows_credits_posted

        self._save(debit, credit, undo)
        debit.debits_pending -= pending.amount
        credit.credits_pending -= pending.amount
        posted = amount if is_post else 0
        debit.debits_posted += posted
        credit.credits_posted += posted
        self._total(pending.ledger, (-pending.amount, posted, -pending.amount, posted), undo)
        if not is_post:
            self._reopen_closed_by(pending, debit, credit)
        new_state = PendingState.POSTED if is_post else PendingState.VOIDED
        self.ws.pendings[pending.id] = pending._replace(state=new_state)
        self.out.pendings_resolved.append((pending.id, new_state))
        if undo is not None:

            def _undo_state() -> None:
                self.ws.pendings[pending.id] = pending
                self.out.pendings_resolved.pop()

            undo.append(_undo_state)
        stored = Transfer(
            t.id, pending.debit_account_id, pending.credit_account_id, amount, pending.ledger,
            pending.code, t.flags, t.pending_id, 0, t.user_data_128, t.user_data_64,
            t.user_data_32, timestamp,
        )
        self._record(stored, undo)
        self._touch(debit, credit, timestamp)
        return _R.ok

    # -- shared steps ----------------------------------------------------------------

    def _reopen_closed_by(self, pending: Pending, debit: Slot, credit: Slot) -> None:
        """Voiding or expiring a closing transfer reopens the account it closed."""
        if pending.flags & _CLOSING_DEBIT:
            debit.flags &= ~_CLOSED
        if pending.flags & _CLOSING_CREDIT:
            credit.flags &= ~_CLOSED

    def _save(self, debit: Slot, credit: Slot, undo: list[_Undo] | None) -> None:
        """Log both accounts' state and the history length so a failed chain can undo."""
        if undo is not None:
            saved_debit, saved_credit = debit.snapshot(), credit.snapshot()
            history_length = len(self.out.balances_history)

            def _undo() -> None:
                debit.restore(saved_debit)
                credit.restore(saved_credit)
                del self.out.balances_history[history_length:]

            undo.append(_undo)

    def _record(self, stored: Transfer, undo: list[_Undo] | None) -> None:
        self.ws.transfers[stored.id] = stored
        self.out.transfers_created.append(stored)
        if undo is not None:

            def _undo() -> None:
                del self.ws.transfers[stored.id]
                self.out.transfers_created.pop()

            undo.append(_undo)

    def _total(self, ledger: int, deltas: tuple[int, int, int, int], undo: list[_Undo] | None) -> None:
        """Add (debits_pending, debits_posted, credits_pending, credits_posted) to a ledger's sums."""
        totals = self.ws.totals.setdefault(ledger, [0, 0, 0, 0])
        totals[0] += deltas[0]
        totals[1] += deltas[1]
        totals[2] += deltas[2]
        totals[3] += deltas[3]
        self.out.touched_ledgers.add(ledger)
        if undo is not None:
            undo.append(lambda: self._total(ledger, (-deltas[0], -deltas[1], -deltas[2], -deltas[3]), None))

    def _touch(self, debit: Slot, credit: Slot, timestamp: int) -> None:
        touched = self.out.touched
        for slot in (debit, credit):
            touched.add(slot.account.id)
            if min(slot.debits_pending, slot.debits_posted, slot.credits_pending, slot.credits_posted) < 0:
                invariant(False, f"negative balance on account {slot.account.id}")
            if slot.flags & _HISTORY:
                self.out.balances_history.append(
                    Balance(
                        slot.account.id, timestamp, slot.debits_pending, slot.debits_posted,
                        slot.credits_pending, slot.credits_posted,
                    )
                )


def check_balance_flags(slot: Slot) -> None:
    """Stop if an account's balances break its own flags (a programmer error)."""
    flags = slot.flags
    if flags & _DMNEC and slot.debits_pending + slot.debits_posted > slot.credits_posted:
        invariant(False, f"account {slot.account.id}: debits exceed credits")
    if flags & _CMNED and slot.credits_pending + slot.credits_posted > slot.debits_posted:
        invariant(False, f"account {slot.account.id}: credits exceed debits")


def _account_exists(a: Account, e: Account) -> CreateAccountResult:
    # `linked` belongs to the request and `closed` to the account's later life.
    state_bits = _ACCOUNT_LINKED | _CLOSED
    if a.flags & ~state_bits != e.flags & ~state_bits:
        return _A.exists_with_different_flags
    if a.user_data_128 != e.user_data_128:
        return _A.exists_with_different_user_data_128
    if a.user_data_64 != e.user_data_64:
        return _A.exists_with_different_user_data_64
    if a.user_data_32 != e.user_data_32:
        return _A.exists_with_different_user_data_32
    if a.ledger != e.ledger:
        return _A.exists_with_different_ledger
    if a.code != e.code:
        return _A.exists_with_different_code
    return _A.exists


def _transfer_exists(t: Transfer, e: Transfer) -> CreateTransferResult:
    """Compare a retried transfer with the stored one, field by field, in precedence order.

    Fields a post/void may leave 0 (taken from the pending transfer) match when 0; a
    balancing transfer may have moved less than asked, so only asking for less differs.
    """
    resolves = bool(t.flags & _TWO_PHASE_RESOLVE)
    if t.flags != e.flags:
        return _R.exists_with_different_flags
    if t.pending_id != e.pending_id:
        return _R.exists_with_different_pending_id
    if t.timeout_s != e.timeout_s:
        return _R.exists_with_different_timeout
    if t.debit_account_id != e.debit_account_id and not (resolves and t.debit_account_id == 0):
        return _R.exists_with_different_debit_account_id
    if t.credit_account_id != e.credit_account_id and not (resolves and t.credit_account_id == 0):
        return _R.exists_with_different_credit_account_id
    if t.flags & _BALANCING:
        if t.amount < e.amount:
            return _R.exists_with_different_amount
    elif t.flags & _POST:
        if t.amount not in (e.amount, AMOUNT_MAX):
            return _R.exists_with_different_amount
    elif t.flags & _VOID:
        if t.amount not in (e.amount, 0):
            return _R.exists_with_different_amount
    elif t.amount != e.amount:
        return _R.exists_with_different_amount
    if t.user_data_128 != e.user_data_128:
        return _R.exists_with_different_user_data_128
    if t.user_data_64 != e.user_data_64:
        return _R.exists_with_different_user_data_64
    if t.user_data_32 != e.user_data_32:
        return _R.exists_with_different_user_data_32
    if t.ledger != e.ledger and not (resolves and t.ledger == 0):
        return _R.exists_with_different_ledger
    if t.code != e.code and not (resolves and t.code == 0):
        return _R.exists_with_different_code
    return _R.exists
