"""Ed25519 verification of settlement's signatures on a pool of worker processes.

Verifying a payment's signature is about 70 µs of CPU and independent of every other
payment, while the rest of settlement is Python on one core: a `PoolVerifier` hands
each chunk of checks to a worker process and answers at once with a lazy sequence, so
`settle` goes on decoding while the workers verify (`settlement.collect`). The verdicts
are those of `verify_sequentially` on the same checks, in the same order (tested).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, Future
from typing import overload

from digisom.offline.settlement import SignatureCheck, verify_sequentially


class PendingVerdicts(Sequence[bool]):
    """The verdicts of one chunk, computed elsewhere; reading them waits for them."""

    def __init__(self, future: Future[list[bool]], count: int) -> None:
        self._future, self._count = future, count

    def _verdicts(self) -> list[bool]:
        verdicts = self._future.result()
        if len(verdicts) != self._count:
            raise RuntimeError(f"{len(verdicts)} verdicts for {self._count} checks")
        return verdicts

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> bool: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[bool]: ...

    def __getitem__(self, index: int | slice) -> bool | Sequence[bool]:
        return self._verdicts()[index]

    def __iter__(self) -> Iterator[bool]:
        return iter(self._verdicts())


class PoolVerifier:
    """A `SignatureVerifier` that verifies each call's checks on one of `pool`'s workers.

    The pool is the caller's (its processes are started once, outside any run); any
    `Executor` works, a `ProcessPoolExecutor` is the one that uses other cores."""

    def __init__(self, pool: Executor) -> None:
        self._pool = pool

    def __call__(self, checks: Sequence[SignatureCheck]) -> Sequence[bool]:
        return PendingVerdicts(self._pool.submit(verify_sequentially, list(checks)), len(checks))
