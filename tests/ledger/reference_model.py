"""A deliberately simple, independent model of the ledger's semantics (docs/ledger.md).

The stateful test (test_reference_model.py) runs every batch against this model and the
real `Ledger` and demands the same result codes, balances, stored transfers, pending
states, balance histories and timestamps. To be worth anything the model must not share
the engine's mistakes, so it is written from the documentation, not from core.py: plain
dicts, a deep copy of the whole state before each linked chain instead of an undo log,
each check written out in the precedence order of the result enums. It shares only the
record types and the result enums with `digisom.ledger`.

It models what the test generates. Inputs the boundary or the engine rejects before any
state is read (zero or int-max ids, reserved flags, non-zero timestamps, malformed
input) are covered by test_contract.py and are not generated, so not modelled.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from digisom.ledger.model import (
    AMOUNT_MAX,
    U128_MAX,
    Account,
    AccountFlags,
    Balance,
    PendingState,
    Transfer,
    TransferFlags,
)
from digisom.ledger.results import CreateAccountResult as A
from digisom.ledger.results import CreateTransferResult as R

NS_PER_S = 1_000_000_000
TIMESTAMP_MAX = (1 << 63) - 1

# Written out again rather than imported: which failures are remembered is part of the
# semantics under test (docs/ledger.md, "Idempotency").
TRANSIENT = frozenset(
    {
        R.debit_account_not_found,
        R.credit_account_not_found,
        R.pending_transfer_not_found,
        R.debit_account_already_closed,
        R.credit_account_already_closed,
        R.exceeds_credits,
        R.exceeds_debits,
    }
)

# Plain ints: `~` on an IntFlag keeps only its own class's bits.
LINKED = int(TransferFlags.LINKED)  # the same bit for accounts
PENDING = int(TransferFlags.PENDING)
POST = int(TransferFlags.POST_PENDING_TRANSFER)
VOID = int(TransferFlags.VOID_PENDING_TRANSFER)
BALANCING_DEBIT = int(TransferFlags.BALANCING_DEBIT)
BALANCING_CREDIT = int(TransferFlags.BALANCING_CREDIT)
CLOSING_DEBIT = int(TransferFlags.CLOSING_DEBIT)
CLOSING_CREDIT = int(TransferFlags.CLOSING_CREDIT)
DMNEC = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
CMNED = int(AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS)
HISTORY = int(AccountFlags.HISTORY)
CLOSED = int(AccountFlags.CLOSED)

_Result = TypeVar("_Result", A, R)


class LedgerModel:
    """The whole ledger as plain dicts. One method per `Ledger` write; same signatures,
    plus the clock reading the real ledger would see."""

    def __init__(self) -> None:
        # id -> {"ledger", "code", "flags", "ud128", "ud64", "ud32", "timestamp", "dp", "dpo", "cp", "cpo"}
        self.accounts: dict[int, dict[str, int]] = {}
        # id -> the transfer as stored (accounts, ledger and code resolved; amount as moved)
        self.transfers: dict[int, Transfer] = {}
        # id -> {"debit", "credit", "amount", "ledger", "code", "flags", "expires_at", "state"}
        self.pendings: dict[int, dict[str, Any]] = {}
        self.failed: dict[int, R] = {}
        # account id -> balance snapshots, for accounts with the history flag
        self.history: dict[int, list[Balance]] = {}
        # The newest timestamp committed; timestamps are max(clock, last + 1) onwards.
        self.last_timestamp = 0

    # -- writes ----------------------------------------------------------------------

    def create_accounts(self, events: Sequence[Account], clock_ns: int) -> list[A]:
        """What `Ledger.create_accounts(events)` must answer at `clock_ns`."""
        return self._batch(events, clock_ns, self._create_account, A, lambda _e, _r: None)

    def create_transfers(self, events: Sequence[Transfer], clock_ns: int) -> list[R]:
        """What `Ledger.create_transfers(events)` must answer at `clock_ns`."""
        return self._batch(events, clock_ns, self._create_transfer, R, self._remember_failure)

    def expire_pending(self, clock_ns: int) -> int:
        """What `Ledger.expire_pending()` must answer: how many holds it released."""
        before = self._change_marker()
        now = max(clock_ns, self.last_timestamp + 1)
        expired = self._expire_due(now)
        if self._change_marker() != before:
            self.last_timestamp = max(now + expired - 1, self.last_timestamp)
        return expired

    # -- reads -------------------------------------------------------------------------

    def account(self, account_id: int) -> Account:
        """The account as `lookup_accounts` must return it."""
        a = self.accounts[account_id]
        return Account(
            account_id, a["ledger"], a["code"], a["flags"], a["ud128"], a["ud64"], a["ud32"],
            a["dp"], a["dpo"], a["cp"], a["cpo"], a["timestamp"],
        )

    def totals(self) -> dict[int, list[int]]:
        """Per ledger: [debits_pending, debits_posted, credits_pending, credits_posted]."""
        sums: dict[int, list[int]] = {}
        for a in self.accounts.values():
            total = sums.setdefault(a["ledger"], [0, 0, 0, 0])
            for index, key in enumerate(("dp", "dpo", "cp", "cpo")):
                total[index] += a[key]
        return sums

    def pending_state(self, pending_id: int) -> PendingState:
        """Where a pending transfer stands."""
        return PendingState(self.pendings[pending_id]["state"])

    # -- batches and chains ---------------------------------------------------------------

    def _change_marker(self) -> tuple[int, int, int, int]:
        # Accounts, transfers and failed ids only grow, and expiries only move holds out of
        # PENDING: a batch that changed none of them writes nothing and takes no timestamp.
        live = sum(1 for p in self.pendings.values() if p["state"] == PendingState.PENDING)
        return (len(self.accounts), len(self.transfers), len(self.failed), -live)

    def _batch(
        self,
        events: Sequence[Any],
        clock_ns: int,
        apply_one: Callable[[Any, int], _Result],
        codes: type[_Result],
        on_failure: Callable[[Any, _Result], None],
    ) -> list[_Result]:
        before = self._change_marker()
        now = max(clock_ns, self.last_timestamp + 1)
        # Every batch first releases the holds that are due, each taking a timestamp.
        first = now + self._expire_due(now)
        ok, exists = codes["ok"], codes["exists"]
        results: list[_Result] = []
        start = 0
        while start < len(events):
            end = start  # a chain runs to the first event without `linked`
            while end < len(events) - 1 and events[end].flags & LINKED:
                end += 1
            chain_open = bool(events[end].flags & LINKED)
            saved = copy.deepcopy((self.accounts, self.transfers, self.pendings, self.history))
            chain: list[_Result] = []
            for position in range(start, end + 1):
                if chain_open and position == end:
                    result = codes["linked_event_chain_open"]
                else:
                    result = apply_one(events[position], first + position)
                chain.append(result)
                if result not in (ok, exists):
                    break
            failure = chain[-1]
            if failure not in (ok, exists):
                # All or nothing: put the state back, the others answer linked_event_failed.
                self.accounts, self.transfers, self.pendings, self.history = saved
                failed_at = start + len(chain) - 1
                chain = [codes["linked_event_failed"]] * (end - start + 1)
                chain[failed_at - start] = failure
                on_failure(events[failed_at], failure)
            results.extend(chain)
            start = end + 1
        if self._change_marker() != before:
            self.last_timestamp = max(first + len(events) - 1, self.last_timestamp)
        return results

    # -- accounts ------------------------------------------------------------------------

    def _create_account(self, a: Account, timestamp: int) -> A:
        existing = self.accounts.get(a.id)
        if existing is not None:
            # `linked` belongs to the request, `closed` to the account's later life.
            ignored = LINKED | CLOSED
            if a.flags & ~ignored != existing["flags"] & ~ignored:
                return A.exists_with_different_flags
            for field, value, code in (
                ("ud128", a.user_data_128, A.exists_with_different_user_data_128),
                ("ud64", a.user_data_64, A.exists_with_different_user_data_64),
                ("ud32", a.user_data_32, A.exists_with_different_user_data_32),
                ("ledger", a.ledger, A.exists_with_different_ledger),
                ("code", a.code, A.exists_with_different_code),
            ):
                if existing[field] != value:
                    return code
            return A.exists
        if a.flags & DMNEC and a.flags & CMNED:
            return A.flags_are_mutually_exclusive
        if a.ledger == 0:
            return A.ledger_must_not_be_zero
        if a.code == 0:
            return A.code_must_not_be_zero
        self.accounts[a.id] = {
            "ledger": a.ledger, "code": a.code, "flags": int(a.flags & ~LINKED), "ud128": a.user_data_128,
            "ud64": a.user_data_64, "ud32": a.user_data_32, "timestamp": timestamp,
            "dp": 0, "dpo": 0, "cp": 0, "cpo": 0,
        }
        return A.ok

    # -- transfers -----------------------------------------------------------------------

    def _remember_failure(self, t: Transfer, result: R) -> None:
        if result in TRANSIENT:
            self.failed.setdefault(t.id, result)

    def _create_transfer(self, t: Transfer, timestamp: int) -> R:
        if t.amount not in range(U128_MAX + 1):  # an unsigned 128-bit integer, or nothing
            return R.invalid_integer
        existing = self.transfers.get(t.id)
        if existing is not None:
            return _compare_with_existing(t, existing)
        if t.id in self.failed:
            return R.id_already_failed
        phases = [bool(t.flags & flag) for flag in (PENDING, POST, VOID)]
        resolves = t.flags & (POST | VOID)
        if sum(phases) > 1 or (
            resolves and t.flags & (BALANCING_DEBIT | BALANCING_CREDIT | CLOSING_DEBIT | CLOSING_CREDIT)
        ):
            return R.flags_are_mutually_exclusive
        if resolves:
            return self._post_or_void(t, timestamp)
        return self._move(t, timestamp)

    def _move(self, t: Transfer, timestamp: int) -> R:
        """A single-phase or pending transfer."""
        pending = bool(t.flags & PENDING)
        if t.debit_account_id == 0:
            return R.debit_account_id_must_not_be_zero
        if t.credit_account_id == 0:
            return R.credit_account_id_must_not_be_zero
        if t.debit_account_id == t.credit_account_id:
            return R.accounts_must_be_different
        if t.pending_id != 0:
            return R.pending_id_must_be_zero
        if t.timeout_s != 0 and not pending:
            return R.timeout_reserved_for_pending_transfer
        if t.flags & (CLOSING_DEBIT | CLOSING_CREDIT) and not pending:
            return R.closing_transfer_must_be_pending
        if t.ledger == 0:
            return R.ledger_must_not_be_zero
        if t.code == 0:
            return R.code_must_not_be_zero
        if t.amount == 0 and not t.flags & (CLOSING_DEBIT | CLOSING_CREDIT):
            return R.amount_must_not_be_zero
        dr = self.accounts.get(t.debit_account_id)
        if dr is None:
            return R.debit_account_not_found
        cr = self.accounts.get(t.credit_account_id)
        if cr is None:
            return R.credit_account_not_found
        if dr["ledger"] != cr["ledger"]:
            return R.accounts_must_have_the_same_ledger
        if t.ledger != dr["ledger"]:
            return R.transfer_must_have_the_same_ledger_as_accounts
        if dr["flags"] & CLOSED:
            return R.debit_account_already_closed
        if cr["flags"] & CLOSED:
            return R.credit_account_already_closed
        amount = t.amount
        if t.flags & BALANCING_DEBIT:  # at most what keeps the debit account's debits <= credits
            amount = min(amount, max(0, dr["cpo"] - dr["dpo"] - dr["dp"]))
        if t.flags & BALANCING_CREDIT:
            amount = min(amount, max(0, cr["dpo"] - cr["cpo"] - cr["cp"]))
        # TigerBeetle checks the posted sums for pending transfers too: a hold must be postable.
        if pending and dr["dp"] + amount > U128_MAX:
            return R.overflows_debits_pending
        if pending and cr["cp"] + amount > U128_MAX:
            return R.overflows_credits_pending
        if dr["dpo"] + amount > U128_MAX:
            return R.overflows_debits_posted
        if cr["cpo"] + amount > U128_MAX:
            return R.overflows_credits_posted
        if dr["dp"] + dr["dpo"] + amount > U128_MAX:
            return R.overflows_debits
        if cr["cp"] + cr["cpo"] + amount > U128_MAX:
            return R.overflows_credits
        expires_at = timestamp + t.timeout_s * NS_PER_S if pending and t.timeout_s else 0
        if expires_at > TIMESTAMP_MAX:
            return R.overflows_timeout
        if dr["flags"] & DMNEC and dr["dp"] + dr["dpo"] + amount > dr["cpo"]:
            return R.exceeds_credits
        if cr["flags"] & CMNED and cr["cp"] + cr["cpo"] + amount > cr["dpo"]:
            return R.exceeds_debits

        side = "dp" if pending else "dpo"
        dr[side] += amount
        cr["cp" if pending else "cpo"] += amount
        if t.flags & CLOSING_DEBIT:
            dr["flags"] |= CLOSED
        if t.flags & CLOSING_CREDIT:
            cr["flags"] |= CLOSED
        self.transfers[t.id] = t._replace(amount=amount, timestamp=timestamp)
        if pending:
            self.pendings[t.id] = {
                "debit": t.debit_account_id, "credit": t.credit_account_id, "amount": amount,
                "ledger": t.ledger, "code": t.code, "flags": int(t.flags), "expires_at": expires_at,
                "state": PendingState.PENDING,
            }
        self._snapshot_history(timestamp, t.debit_account_id, t.credit_account_id)
        return R.ok

    def _post_or_void(self, t: Transfer, timestamp: int) -> R:
        post = bool(t.flags & POST)
        if t.pending_id == 0:
            return R.pending_id_must_not_be_zero
        if t.pending_id == t.id:
            return R.pending_id_must_be_different
        if t.timeout_s != 0:
            return R.timeout_reserved_for_pending_transfer
        target = self.transfers.get(t.pending_id)
        if target is None:
            return R.pending_transfer_not_found
        if not target.flags & PENDING:
            return R.pending_transfer_not_pending
        p = self.pendings[t.pending_id]
        # Zero means "as the pending transfer has it".
        if t.debit_account_id not in (0, p["debit"]):
            return R.pending_transfer_has_different_debit_account_id
        if t.credit_account_id not in (0, p["credit"]):
            return R.pending_transfer_has_different_credit_account_id
        if t.ledger not in (0, p["ledger"]):
            return R.pending_transfer_has_different_ledger
        if t.code not in (0, p["code"]):
            return R.pending_transfer_has_different_code
        if post:
            amount = p["amount"] if t.amount == AMOUNT_MAX else t.amount
            if amount > p["amount"]:
                return R.exceeds_pending_transfer_amount
        else:
            if t.amount not in (0, p["amount"]):
                return R.pending_transfer_has_different_amount
            amount = p["amount"]
        if p["state"] == PendingState.POSTED:
            return R.pending_transfer_already_posted
        if p["state"] == PendingState.VOIDED:
            return R.pending_transfer_already_voided
        if p["state"] == PendingState.EXPIRED or (p["expires_at"] and timestamp >= p["expires_at"]):
            return R.pending_transfer_expired
        dr, cr = self.accounts[p["debit"]], self.accounts[p["credit"]]
        if post:
            # Posting moves money, so a closed account refuses it, except the account the
            # hold itself closed (docs/ledger.md: only voiding or expiry reopens it).
            if dr["flags"] & CLOSED and not p["flags"] & CLOSING_DEBIT:
                return R.debit_account_already_closed
            if cr["flags"] & CLOSED and not p["flags"] & CLOSING_CREDIT:
                return R.credit_account_already_closed
            if dr["dpo"] + amount > U128_MAX:
                return R.overflows_debits_posted
            if cr["cpo"] + amount > U128_MAX:
                return R.overflows_credits_posted

        self._release(p)
        if post:
            dr["dpo"] += amount
            cr["cpo"] += amount
            p["state"] = PendingState.POSTED
        else:
            self._reopen(p)
            p["state"] = PendingState.VOIDED
        self.transfers[t.id] = Transfer(
            t.id, p["debit"], p["credit"], amount, p["ledger"], p["code"], t.flags, t.pending_id, 0,
            t.user_data_128, t.user_data_64, t.user_data_32, timestamp,
        )
        self._snapshot_history(timestamp, p["debit"], p["credit"])
        return R.ok

    # -- holds -----------------------------------------------------------------------------

    def _expire_due(self, now: int) -> int:
        """Release every hold due at `now`, soonest first (ties by id); returns how many."""
        due = sorted(
            (p["expires_at"], pending_id)
            for pending_id, p in self.pendings.items()
            if p["state"] == PendingState.PENDING and 0 < p["expires_at"] <= now
        )
        for offset, (_expires_at, pending_id) in enumerate(due):
            p = self.pendings[pending_id]
            self._release(p)
            self._reopen(p)
            p["state"] = PendingState.EXPIRED
            self._snapshot_history(now + offset, p["debit"], p["credit"])
        return len(due)

    def _release(self, p: dict[str, Any]) -> None:
        self.accounts[p["debit"]]["dp"] -= p["amount"]
        self.accounts[p["credit"]]["cp"] -= p["amount"]

    def _reopen(self, p: dict[str, Any]) -> None:
        """A voided or expired closing transfer reopens the account it closed."""
        if p["flags"] & CLOSING_DEBIT:
            self.accounts[p["debit"]]["flags"] &= ~CLOSED
        if p["flags"] & CLOSING_CREDIT:
            self.accounts[p["credit"]]["flags"] &= ~CLOSED

    def _snapshot_history(self, timestamp: int, *account_ids: int) -> None:
        for account_id in account_ids:
            a = self.accounts[account_id]
            if a["flags"] & HISTORY:
                self.history.setdefault(account_id, []).append(
                    Balance(account_id, timestamp, a["dp"], a["dpo"], a["cp"], a["cpo"])
                )


def _compare_with_existing(t: Transfer, e: Transfer) -> R:
    """The answer to a transfer whose id exists: the first field that differs, or `exists`."""
    resolves = bool(t.flags & (POST | VOID))
    if t.flags != e.flags:
        return R.exists_with_different_flags
    if t.pending_id != e.pending_id:
        return R.exists_with_different_pending_id
    if t.timeout_s != e.timeout_s:
        return R.exists_with_different_timeout
    # A post or void may leave the accounts, ledger and code 0: taken from the hold.
    if t.debit_account_id != e.debit_account_id and not (resolves and t.debit_account_id == 0):
        return R.exists_with_different_debit_account_id
    if t.credit_account_id != e.credit_account_id and not (resolves and t.credit_account_id == 0):
        return R.exists_with_different_credit_account_id
    if t.flags & (BALANCING_DEBIT | BALANCING_CREDIT):
        same_amount = t.amount >= e.amount  # it may have moved less than it asked
    elif t.flags & POST:
        same_amount = t.amount in (e.amount, AMOUNT_MAX)
    elif t.flags & VOID:
        same_amount = t.amount in (e.amount, 0)
    else:
        same_amount = t.amount == e.amount
    if not same_amount:
        return R.exists_with_different_amount
    if t.user_data_128 != e.user_data_128:
        return R.exists_with_different_user_data_128
    if t.user_data_64 != e.user_data_64:
        return R.exists_with_different_user_data_64
    if t.user_data_32 != e.user_data_32:
        return R.exists_with_different_user_data_32
    if t.ledger != e.ledger and not (resolves and t.ledger == 0):
        return R.exists_with_different_ledger
    if t.code != e.code and not (resolves and t.code == 0):
        return R.exists_with_different_code
    return R.exists
