"""A settlement simulator for an RTGS with a queue and a liquidity-saving mechanism (LSM).

Pure: integer balances per bank, no I/O and no ledger. The same engine runs plain gross
settlement (`GROSS_RULES`) and queue + LSM (`LSM_RULES`), so the two are compared like
for like. Invariants, checked on every step with `invariant()`: no balance is ever
negative (nothing settles without cover) and the sum of balances never changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from digisom.errors import DigisomError, invariant
from digisom.interbank.priority import Priority
from digisom.interbank.queue import Payment, PaymentQueue

# Payments one Settler holds in its queue at most: bounded memory. A day in the national
# RTGS is tens of thousands of payments; a queue this long means something upstream is wrong.
MAX_QUEUED_PAYMENTS: Final = 1_000_000
# Bilateral offsetting looks at this many queued opposite payments at most, so that one
# arrival costs bounded work however long the queue grows.
MAX_OFFSET_CANDIDATES: Final = 32
# FIFO bypass inside the queue looks this far behind a blocked head, for the same reason.
MAX_BYPASS_CANDIDATES: Final = 32
# Re-ordering's last step passes over the left-out payments at most this often (each
# addition can enable another): bounded work per gridlock run, whatever the queue.
MAX_REORDER_PASSES: Final = 16


class QueueFull(DigisomError):
    """The queue is at its limit: the payment is neither settled nor queued (answer: RJCT)."""


class Method(StrEnum):
    """How a payment settled."""

    GROSS = "gross"  # alone, on arrival
    QUEUE = "queue"  # alone, later, when incoming liquidity reached it in the queue
    BILATERAL = "bilateral"  # together with one opposite payment
    MULTILATERAL = "multilateral"  # in a simultaneous multilateral (gridlock) run


@dataclass(frozen=True, slots=True)
class SettlementRules:
    """What the engine may do beyond settling each payment alone in FIFO order."""

    bypass_normal: bool  # a new covered normal payment may overtake queued normal ones
    bilateral_offsetting: bool  # on arrival, offset against one queued opposite payment
    lsm_interval_s: int | None  # multilateral run every so many seconds (and at close); None: never
    # Normal payments below this amount (minor units) bypass FIFO on arrival and in the
    # queue: a blocked large head does not hold them up. None: no size-based bypass.
    small_bypass_below_minor: int | None = None
    # Partial netting with re-ordering: after the FIFO gridlock run, also settle left-out
    # normal payments out of turn (smallest first) while every position stays covered.
    reorder_multilateral: bool = False


GROSS_RULES: Final = SettlementRules(bypass_normal=False, bilateral_offsetting=False, lsm_interval_s=None)
# Every 5 minutes: often enough that little waits long, rarely enough to be cheap.
LSM_RULES: Final = SettlementRules(bypass_normal=True, bilateral_offsetting=True, lsm_interval_s=300)
# LSM_RULES plus partial netting with re-ordering: the same liquidity, shorter delays
# (docs/performance.md, round 3). Opt-in through `RtgsContext.rules`: it changes which
# payments settle out of FIFO order.
LSM_REORDER_RULES: Final = SettlementRules(
    bypass_normal=True, bilateral_offsetting=True, lsm_interval_s=300, reorder_multilateral=True
)
# The presets an operator names (`digisom serve --lsm-rules`).
NAMED_RULES: Final = {"gross": GROSS_RULES, "lsm": LSM_RULES, "lsm-reorder": LSM_REORDER_RULES}


@dataclass(frozen=True, slots=True)
class Settlement:
    """One payment settled: when and how."""

    payment: Payment
    settled_s: int
    method: Method
    # Payments settled in the same step share a group: on the ledger, one linked chain.
    group: int = 0

    @property
    def delay_s(self) -> int:
        """Seconds the payment waited between arrival and settlement."""
        return self.settled_s - self.payment.arrival_s


class Settler:
    """The settlement engine for one business day. Feed it payments in arrival order with
    `submit`; call `run_multilateral` when the rules say (or let `simulate_day` do it)."""

    def __init__(
        self,
        balances: Mapping[str, int],
        rules: SettlementRules,
        max_queued: int = MAX_QUEUED_PAYMENTS,
        queued: Iterable[Payment] = (),
    ) -> None:
        """`queued`: payments already waiting (a durable queue reloaded), in arrival order;
        they are queued as they are, not tried."""
        invariant(all(b >= 0 for b in balances.values()), "starting balances are not negative")
        self._max_queued = max_queued
        self._balances = dict(balances)
        self._rules = rules
        self._queue = PaymentQueue()
        self._groups = 0
        for payment in queued:
            for bank in (payment.sender, payment.receiver):
                self._balances.setdefault(bank, 0)
            self._queue.push(payment)
        self._total = sum(self._balances.values())

    @property
    def balances(self) -> dict[str, int]:
        """A copy of the current balances."""
        return dict(self._balances)

    @property
    def queued(self) -> int:
        """How many payments wait."""
        return len(self._queue)

    def queued_payments(self) -> list[Payment]:
        """Every waiting payment, per sender in settlement order."""
        return [p for bank in self._queue.senders() for p in self._queue.in_order(bank)]

    def submit(self, payment: Payment, now_s: int) -> list[Settlement]:
        """Settle `payment` at once if the rules and the sender's cover allow, else queue it
        (`QueueFull` when the queue is at its limit: nothing changed).
        Returns every payment that settled as a consequence (queued ones included)."""
        invariant(payment.amount_minor > 0, "payments are positive")
        invariant(payment.sender != payment.receiver, "a payment goes to another bank")
        for bank in (payment.sender, payment.receiver):
            self._balances.setdefault(bank, 0)
        settled: list[Settlement] = []
        if self._may_go_now(payment):
            if self._balances[payment.sender] >= payment.amount_minor:
                self._settle([payment], now_s, Method.GROSS, settled)
                self._resolve(payment.receiver, now_s, settled)
                return settled
            if self._rules.bilateral_offsetting and self._offset(payment, now_s, settled):
                return settled
        if len(self._queue) >= self._max_queued:
            raise QueueFull(f"{len(self._queue)} payments queued; payment {payment.payment_id} refused")
        self._queue.push(payment)
        return settled

    def run_multilateral(self, now_s: int) -> list[Settlement]:
        """The gridlock resolution: try to settle every queued payment at once; while some
        bank's net position would be negative, take that bank's last queued payments out
        (reverse settlement order, so normal before urgent); settle what remains together.

        The result does not depend on the order banks are looked at: the settleable
        per-bank queue prefixes are closed under union, and this finds the largest.
        With `reorder_multilateral`, left-out normal payments then join out of turn
        (`_reordered`), so the set is a superset of the FIFO one.
        """
        order = {bank: self._queue.in_order(bank) for bank in self._queue.senders()}
        included = {bank: len(payments) for bank, payments in order.items()}
        position = dict(self._balances)
        for payments in order.values():
            for p in payments:
                position[p.sender] -= p.amount_minor
                position[p.receiver] += p.amount_minor
        short = [bank for bank in order if position[bank] < 0]
        while short:
            bank = short.pop()
            while position[bank] < 0:
                included[bank] -= 1
                p = order[bank][included[bank]]
                position[bank] += p.amount_minor
                position[p.receiver] -= p.amount_minor
                if position[p.receiver] < 0 and p.receiver not in short:
                    short.append(p.receiver)
        chosen = [p for bank, payments in order.items() for p in payments[: included[bank]]]
        if self._rules.reorder_multilateral:
            chosen.extend(_reordered(order, included, position))
        settled: list[Settlement] = []
        if chosen:
            for p in chosen:
                self._queue.remove(p)
            self._settle(chosen, now_s, Method.MULTILATERAL, settled)
        return settled

    def _may_go_now(self, payment: Payment) -> bool:
        """The queue rules: may a new payment settle ahead of what its sender has queued?"""
        if self._queue.has_urgent(payment.sender):
            return False  # nothing overtakes queued urgent payments
        if payment.priority is Priority.URGENT:
            return True
        return self._rules.bypass_normal or self._is_small(payment) or not self._queue.has_any(payment.sender)

    def _is_small(self, payment: Payment) -> bool:
        """A normal payment under the rules' size threshold (it may bypass FIFO)."""
        below = self._rules.small_bypass_below_minor
        return below is not None and payment.priority is Priority.NORMAL and payment.amount_minor < below

    def _eligible_in_queue(self, queued: Payment) -> bool:
        """Whether a queued payment may settle now, out of turn, in a bilateral offset."""
        if queued.priority is Priority.URGENT:
            return self._queue.head(queued.sender) is queued
        return self._rules.bypass_normal and not self._queue.has_urgent(queued.sender)

    def _offset(self, payment: Payment, now_s: int, settled: list[Settlement]) -> bool:
        """Settle `payment` together with one queued payment the other way, if that covers both."""
        sender, receiver = payment.sender, payment.receiver
        for index, other in enumerate(self._queue.between(receiver, sender)):
            if index >= MAX_OFFSET_CANDIDATES:
                break
            net = other.amount_minor - payment.amount_minor
            if self._balances[sender] + net >= 0 and self._balances[receiver] - net >= 0:
                if not self._eligible_in_queue(other):
                    continue
                self._queue.remove(other)
                self._settle([payment, other], now_s, Method.BILATERAL, settled)
                # Both queues may move: one bank gained liquidity, the other lost its head.
                self._resolve(sender, now_s, settled)
                self._resolve(receiver, now_s, settled)
                return True
        return False

    def _resolve(self, bank: str, now_s: int, settled: list[Settlement]) -> None:
        """Incoming liquidity: settle the queue heads it now covers, following the cascade."""
        work = [bank]
        while work:
            current = work.pop()
            while (payment := self._next_covered(current)) is not None:
                self._queue.remove(payment)
                self._settle([payment], now_s, Method.QUEUE, settled)
                work.append(payment.receiver)

    def _next_covered(self, bank: str) -> Payment | None:
        """The queued payment of `bank` to settle next on its balance: the head if covered,
        else (small-payment bypass) the oldest covered small normal payment behind it."""
        head = self._queue.head(bank)
        if head is None:
            return None
        balance = self._balances[bank]
        if balance >= head.amount_minor:
            return head
        if self._rules.small_bypass_below_minor is None or head.priority is Priority.URGENT:
            return None  # nothing overtakes a queued urgent payment
        for index, payment in enumerate(self._queue.normal(bank)):
            if index >= MAX_BYPASS_CANDIDATES:
                break
            if self._is_small(payment) and balance >= payment.amount_minor:
                return payment
        return None

    def _settle(self, payments: Iterable[Payment], now_s: int, method: Method, settled: list[Settlement]) -> None:
        """Move the money of `payments` at once; refuse (stop) if any balance would go negative."""
        touched: set[str] = set()
        self._groups += 1
        for p in payments:
            self._balances[p.sender] -= p.amount_minor
            self._balances[p.receiver] += p.amount_minor
            touched.update((p.sender, p.receiver))
            settled.append(Settlement(p, now_s, method, self._groups))
        invariant(all(self._balances[b] >= 0 for b in touched), "settled without cover")
        invariant(sum(self._balances.values()) == self._total, "settlement created or destroyed money")


def _reordered(
    order: Mapping[str, list[Payment]], included: Mapping[str, int], position: dict[str, int]
) -> list[Payment]:
    """Partial netting with re-ordering: of the payments the FIFO gridlock run left out,
    those that can join it out of turn (`position` is updated). Only normal payments of
    banks whose urgent payments all joined: urgent ones keep their FIFO.

    First the gridlock run again, on all those candidates, taking out the short bank's
    largest candidate first (most payments settle); then single candidates that still
    fit, smallest first, until none does (at most `MAX_REORDER_PASSES` passes). Every
    position stays non-negative throughout the second step and at the end of the first:
    the set is covered."""
    candidates = {
        bank: sorted((p for p in payments[included[bank] :]), key=lambda p: (p.amount_minor, p.payment_id))
        for bank, payments in order.items()
        if included[bank] < len(payments) and payments[included[bank]].priority is Priority.NORMAL
    }
    for payments in candidates.values():
        for p in payments:
            position[p.sender] -= p.amount_minor
            position[p.receiver] += p.amount_minor
    left_out: list[Payment] = []
    short = [bank for bank in candidates if position[bank] < 0]
    while short:
        bank = short.pop()
        while position[bank] < 0:
            # A short bank has a candidate left: without any, its position is the FIFO run's (>= 0).
            p = candidates[bank].pop()
            left_out.append(p)
            position[bank] += p.amount_minor
            position[p.receiver] -= p.amount_minor
            if position[p.receiver] < 0 and p.receiver not in short:
                short.append(p.receiver)
    added = [p for payments in candidates.values() for p in payments]
    left_out.sort(key=lambda p: (p.amount_minor, p.payment_id))
    for _ in range(MAX_REORDER_PASSES):
        kept: list[Payment] = []
        for p in left_out:
            if position[p.sender] >= p.amount_minor:
                position[p.sender] -= p.amount_minor
                position[p.receiver] += p.amount_minor
                added.append(p)
            else:
                kept.append(p)
        if len(kept) == len(left_out):
            break
        left_out = kept
    return added


@dataclass(frozen=True, slots=True)
class DayResult:
    """What a simulated business day settled, what it left unsettled, and the final balances."""

    settlements: tuple[Settlement, ...]
    unsettled: tuple[Payment, ...]
    final_balances: Mapping[str, int]


def simulate_day(
    payments: Iterable[Payment],
    balances: Mapping[str, int],
    rules: SettlementRules,
    close_s: int,
) -> DayResult:
    """Run one business day: payments in arrival order, the multilateral run every
    `rules.lsm_interval_s` seconds and once more at `close_s`; what is still queued at
    the close stays unsettled (an RTGS rejects it at end of day)."""
    settler = Settler(balances, rules)
    settlements: list[Settlement] = []
    interval = rules.lsm_interval_s
    runs = iter(range(interval, close_s, interval)) if interval is not None else iter(())
    next_run_s = next(runs, None)
    for payment in payments:
        invariant(0 <= payment.arrival_s <= close_s, "payments arrive within the business day")
        while next_run_s is not None and next_run_s <= payment.arrival_s:
            settlements.extend(settler.run_multilateral(next_run_s))
            next_run_s = next(runs, None)
        settlements.extend(settler.submit(payment, payment.arrival_s))
    if interval is not None:
        for run_s in (*([next_run_s] if next_run_s is not None else []), *runs, close_s):
            settlements.extend(settler.run_multilateral(run_s))
    return DayResult(tuple(settlements), tuple(settler.queued_payments()), settler.balances)
