"""The RTGS payment queue: per sending bank, an urgent and a normal FIFO queue.

Queue rules (docs/interbank.md explains why an operator accepts them):

1. Urgent before normal: a bank's normal payments never settle while it has urgent
   payments queued, and the queue is always resolved urgent-first.
2. FIFO within a priority: queued payments are tried from the head; a queued payment
   that lacks cover blocks those behind it (until the liquidity-saving run, which settles
   a prefix of each bank's queue).
3. Bypass on arrival, for normal payments only (when the rules allow it): a new normal
   payment that is covered settles at once even if older normal payments of the same bank
   wait in the queue. Urgent payments never overtake each other.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from digisom.interbank.priority import Priority


@dataclass(frozen=True, slots=True)
class Payment:
    """An interbank payment as the settlement engine sees it: integers only."""

    payment_id: int
    sender: str
    receiver: str
    amount_minor: int
    priority: Priority
    arrival_s: int  # seconds since the opening of the business day


class _Fifo:
    """A FIFO of payments that also allows removal from the middle (lazily, by id)."""

    __slots__ = ("_items", "_removed")

    def __init__(self) -> None:
        self._items: deque[Payment] = deque()
        self._removed: set[int] = set()

    def push(self, payment: Payment) -> None:
        self._items.append(payment)

    def remove(self, payment: Payment) -> None:
        self._removed.add(payment.payment_id)
        self._drop_removed_head()

    def head(self) -> Payment | None:
        return self._items[0] if self._items else None

    def __iter__(self) -> Iterator[Payment]:
        return (p for p in self._items if p.payment_id not in self._removed)

    def _drop_removed_head(self) -> None:
        while self._items and self._items[0].payment_id in self._removed:
            self._removed.discard(self._items.popleft().payment_id)


class PaymentQueue:
    """Queued payments of all banks: per sender, urgent and normal FIFOs, plus an index of
    queued payments per (sender, receiver) pair for bilateral offsetting."""

    def __init__(self) -> None:
        self._urgent: dict[str, _Fifo] = {}
        self._normal: dict[str, _Fifo] = {}
        self._pairs: dict[tuple[str, str], _Fifo] = {}
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def push(self, payment: Payment) -> None:
        """Queue `payment` at the tail of its sender's queue for its priority."""
        lanes = self._urgent if payment.priority is Priority.URGENT else self._normal
        lanes.setdefault(payment.sender, _Fifo()).push(payment)
        self._pairs.setdefault((payment.sender, payment.receiver), _Fifo()).push(payment)
        self._count += 1

    def remove(self, payment: Payment) -> None:
        """Take a queued `payment` out (it settled or was rejected)."""
        lanes = self._urgent if payment.priority is Priority.URGENT else self._normal
        lanes[payment.sender].remove(payment)
        self._pairs[(payment.sender, payment.receiver)].remove(payment)
        self._count -= 1

    def has_urgent(self, sender: str) -> bool:
        """Whether `sender` has urgent payments waiting."""
        lane = self._urgent.get(sender)
        return lane is not None and lane.head() is not None

    def has_any(self, sender: str) -> bool:
        """Whether `sender` has any payment waiting."""
        lane = self._normal.get(sender)
        return self.has_urgent(sender) or (lane is not None and lane.head() is not None)

    def head(self, sender: str) -> Payment | None:
        """The next payment of `sender` to try: its oldest urgent, else its oldest normal one."""
        for lanes in (self._urgent, self._normal):
            lane = lanes.get(sender)
            if lane is not None and (payment := lane.head()) is not None:
                return payment
        return None

    def in_order(self, sender: str) -> list[Payment]:
        """`sender`'s queued payments in settlement order: urgent FIFO, then normal FIFO."""
        result: list[Payment] = []
        for lanes in (self._urgent, self._normal):
            lane = lanes.get(sender)
            if lane is not None:
                result.extend(lane)
        return result

    def normal(self, sender: str) -> Iterator[Payment]:
        """`sender`'s queued normal payments, oldest first."""
        lane = self._normal.get(sender)
        return iter(lane) if lane is not None else iter(())

    def between(self, sender: str, receiver: str) -> Iterator[Payment]:
        """Queued payments from `sender` to `receiver`, oldest first."""
        lane = self._pairs.get((sender, receiver))
        return iter(lane) if lane is not None else iter(())

    def senders(self) -> list[str]:
        """Banks that have payments waiting."""
        return sorted(bank for bank in {*self._urgent, *self._normal} if self.has_any(bank))
