"""Locks that hold across every API process on one database.

A domain that decides on balances it just read (a wallet's holding limit, the RTGS's
settlement, the bridge's operations) must not let two decisions interleave. Inside one
process a thread lock does it; several processes on one PostgreSQL database need the
database: here a session advisory lock per key, taken on a connection of its own and
held for the whole block (the decision's ledger chain is written by another connection,
the ledger's writer, so a transaction-scoped lock would end too early).

SQLite serves one process (`digisom serve` refuses more), so there the thread locks are
the whole story, except where a command may run beside the served process on the same
file (the log's checkpoint): `process_lock` then takes a lock file beside the database.

Keys are striped: a name hashes to one of a fixed number of stripes per namespace, so
the number of distinct locks stays bounded. Stripes are taken in order, so two blocks
that hold the same pair of names cannot deadlock. Re-entrant per thread: a block may
hold a name it already holds (accepting a request to pay holds both wallets, then pays).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from typing import Final

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.pool import NullPool

STRIPES_DEFAULT: Final = 1024
_SIGNED_63_BITS: Final = (1 << 63) - 1
_ONLY_NAME: Final = "lock"  # a `SharedLock` is a `SharedLocks` over this one name


def advisory_key(namespace: str, stripe: int) -> int:
    """A stable signed 64-bit key for `pg_advisory_lock`, one per (namespace, stripe)."""
    digest = hashlib.blake2b(f"{namespace}\x00{stripe}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & _SIGNED_63_BITS


class SharedLocks:
    """Striped, re-entrant locks over names in one `namespace`; on a PostgreSQL `engine`
    each outermost hold also takes the stripes' advisory locks, so the block excludes every
    other process's holders of the same names."""

    def __init__(self, namespace: str, engine: Engine | None = None, stripes: int = STRIPES_DEFAULT) -> None:
        if stripes < 1:
            raise ValueError("stripes must be at least 1")
        self._namespace = namespace
        self._stripes = stripes
        self._thread_locks = [threading.RLock() for _ in range(stripes)]
        # A connection of its own per outermost hold, never one of the domain's pool: a
        # thread blocked on another process's lock must not hold a connection that the
        # lock's holder needs to finish (with both pools exhausted, that is a deadlock).
        # Closed after each hold, so nothing idles or outlives the runtime.
        self._engine = (create_engine(engine.url, poolclass=NullPool)
                        if engine is not None and engine.dialect.name == "postgresql" else None)
        if engine is not None and self._engine is not None:
            # Errors read as the domain engine's do (a lost primary is a 503, `stores.failover`).
            for on_error in engine.dialect.dispatch.handle_error:
                event.listen(self._engine, "handle_error", on_error)
        self._held = threading.local()  # stripe -> depth, for this thread

    @property
    def across_processes(self) -> bool:
        """True when the locks also exclude other processes (PostgreSQL)."""
        return self._engine is not None

    def stripe(self, name: str) -> int:
        """The stripe `name` hashes to."""
        digest = hashlib.blake2b(f"{self._namespace}\x00{name}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") % self._stripes

    @contextmanager
    def hold(self, *names: str) -> Iterator[None]:
        """Hold the locks of `names` for the block."""
        stripes = sorted({self.stripe(name) for name in names})
        depths: dict[int, int] = self._depths()
        with ExitStack() as stack:
            for stripe in stripes:
                stack.enter_context(self._thread_locks[stripe])
            fresh = [stripe for stripe in stripes if depths.get(stripe, 0) == 0]
            if fresh and self._engine is not None:
                stack.enter_context(self._advisory(fresh))
            for stripe in stripes:
                depths[stripe] = depths.get(stripe, 0) + 1
            try:
                yield
            finally:
                for stripe in stripes:
                    depths[stripe] -= 1
                    if depths[stripe] == 0:
                        del depths[stripe]

    def _depths(self) -> dict[int, int]:
        depths: dict[int, int] | None = getattr(self._held, "depths", None)
        if depths is None:
            depths = {}
            self._held.depths = depths
        return depths

    @contextmanager
    def _advisory(self, stripes: list[int]) -> Iterator[None]:
        assert self._engine is not None
        # Closing the connection (NullPool: really closed) ends its session, which frees
        # every advisory lock it took, whatever happened in the block: no unlock to forget.
        with self._engine.connect() as conn:
            for stripe in stripes:
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": advisory_key(self._namespace, stripe)})
                conn.commit()  # session locks outlive the transaction; end it so none stays open
            yield


class SharedLock:
    """One re-entrant lock shared by every process (`with lock:`), e.g. the RTGS's
    settlement: a `SharedLocks` with a single name."""

    def __init__(self, namespace: str, engine: Engine | None = None) -> None:
        self._locks = SharedLocks(namespace, engine, stripes=1)
        self._blocks = threading.local()

    def __enter__(self) -> None:
        block = self._locks.hold(_ONLY_NAME)
        block.__enter__()
        stack: list[object] = getattr(self._blocks, "stack", [])
        stack.append(block)
        self._blocks.stack = stack

    def __exit__(self, *exc: object) -> None:
        block = self._blocks.stack.pop()
        block.__exit__(*exc)


class FileLock:
    """A re-entrant lock that every process (and thread) opening `path` takes: `flock` on
    the file, which the operating system releases if the holder dies. The stdlib's
    `fcntl` rather than the `filelock` package: that one is 800 KB and 90-135 ms to import,
    for the Windows support a Debian service does not need."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._held = threading.local()  # (descriptor, depth) for this thread

    def __enter__(self) -> None:
        descriptor, depth = getattr(self._held, "state", (-1, 0))
        if depth == 0:
            # A descriptor of its own per thread: flock excludes other open files, so the
            # process's other threads wait here too.
            descriptor = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX)
            except BaseException:
                os.close(descriptor)
                raise
        self._held.state = (descriptor, depth + 1)

    def __exit__(self, *exc: object) -> None:
        descriptor, depth = self._held.state
        if depth == 1:
            os.close(descriptor)  # closing the last descriptor of the open file releases the lock
        self._held.state = (descriptor, depth - 1)


def process_lock(namespace: str, engine: Engine | None) -> AbstractContextManager[None]:
    """One re-entrant lock for every process on `engine`'s database: PostgreSQL's advisory
    lock (`SharedLock`); on a SQLite file, a lock file beside it (a command run beside the
    served process); otherwise this process's own."""
    database = engine.url.database if engine is not None and engine.dialect.name == "sqlite" else None
    if database and database != ":memory:" and not database.startswith("file::memory:"):
        return FileLock(f"{database}.{namespace}.lock")
    return SharedLock(namespace, engine)
