"""The leaves' random order, and drawing it in a forked process while the CSV is parsed.

The shuffle of 10M indices is a pure-Python loop of about 5 CPU seconds that depends only
on the number of customers, which is known as soon as the file's lines are counted; the
parse that follows takes as long again. `PendingOrder` runs the shuffle on the other core
meanwhile and hands the permutation over a pipe (4 bytes an index), so neither waits for
the other on a machine with a free core."""

from __future__ import annotations

import multiprocessing
import random
import secrets
import weakref
from array import array
from multiprocessing.connection import Connection
from typing import Final

# Below this many customers the shuffle takes milliseconds: not worth a process.
BACKGROUND_MIN: Final = 1 << 16
INDEX_TYPECODE: Final = "I"  # 4 bytes: the builder refuses more than 2**24 customers


def random_order(count: int) -> list[int]:
    """A uniformly random permutation of range(count): leaf i holds customer order[i].

    Mersenne Twister seeded with 256 bits from `secrets`: the order only has to hide the
    CSV's order (e.g. by sign-up date) from someone who sees leaf positions, and the
    generator's state is never shown; `SystemRandom` would make 10M system calls."""
    order = list(range(count))
    random.Random(secrets.randbits(256)).shuffle(order)  # noqa: S311 (see above)
    return order


def _draw(sender: Connection, count: int) -> None:
    # Seeded here, after the fork, from the child's own `secrets`: nothing shared with the parent.
    sender.send_bytes(array(INDEX_TYPECODE, random_order(count)).tobytes())
    sender.close()


def _stop(process: multiprocessing.process.BaseProcess, receiver: Connection) -> None:
    if process.is_alive():
        process.terminate()
    process.join()
    receiver.close()


class PendingOrder:
    """`random_order(count)` being drawn by a forked process; `result()` waits for it.
    Cancelled or dropped without `result()` (a refused CSV), the process is stopped."""

    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("fork")
        self.count = count
        self._receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(target=_draw, args=(sender, count), daemon=True)
        self._process.start()
        sender.close()
        self._stopper = weakref.finalize(self, _stop, self._process, self._receiver)

    def result(self) -> list[int] | None:
        """The permutation, once; None after that or if the process failed (the caller
        draws in line then: a second tree from the same balances gets its own order)."""
        if not self._stopper.alive:
            return None
        try:
            raw = self._receiver.recv_bytes()
        except (EOFError, OSError):
            raw = b""
        self._stopper()
        order = array(INDEX_TYPECODE)
        order.frombytes(raw)
        if len(order) != self.count or self._process.exitcode != 0:
            return None
        return order.tolist()

    def cancel(self) -> None:
        """Stop the process (its permutation is not wanted)."""
        self._stopper()


def start_order(count: int) -> PendingOrder | None:
    """The order of `count` leaves drawn in the background, or None if it is quicker in line."""
    return PendingOrder(count) if count >= BACKGROUND_MIN else None
