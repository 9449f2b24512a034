"""`SharedLocks`: a name held in one process blocks the same name in another process on
PostgreSQL (two engines here stand for two processes: advisory locks belong to sessions),
leaves other names free, and is re-entrant within a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine

from digisom.kernel.locks import SharedLock, SharedLocks

pytestmark = pytest.mark.postgres


@pytest.fixture
def engines(postgres_url: str) -> Iterator[tuple[Engine, Engine]]:
    url = "postgresql+psycopg://" + postgres_url.split("://", 1)[1]
    pair = (create_engine(url), create_engine(url))
    yield pair
    for engine in pair:
        engine.dispose()


def _blocked_for_s(first: SharedLocks, second: SharedLocks, held: str, wanted: str, hold_s: float) -> float:
    """How long `second.hold(wanted)` waited while `first` held `held` for `hold_s`."""
    taken = threading.Event()

    def holder() -> None:
        with first.hold(held):
            taken.set()
            time.sleep(hold_s)

    thread = threading.Thread(target=holder)
    thread.start()
    taken.wait()
    start = time.monotonic()
    with second.hold(wanted):
        waited = time.monotonic() - start
    thread.join()
    return waited


def test_a_name_held_by_one_process_blocks_it_in_another(engines: tuple[Engine, Engine]) -> None:
    one, other = SharedLocks("test.wallet", engines[0]), SharedLocks("test.wallet", engines[1])
    assert one.across_processes and other.across_processes
    assert _blocked_for_s(one, other, "wallet-1", "wallet-1", 0.5) >= 0.45


def test_other_names_and_namespaces_stay_free(engines: tuple[Engine, Engine]) -> None:
    one = SharedLocks("test.wallet", engines[0])
    other = SharedLocks("test.wallet", engines[1])
    free_name = next(f"w-{n}" for n in range(100) if other.stripe(f"w-{n}") != one.stripe("wallet-1"))
    assert _blocked_for_s(one, other, "wallet-1", free_name, 0.5) < 0.3
    elsewhere = SharedLocks("test.other", engines[1])
    assert _blocked_for_s(one, elsewhere, "wallet-1", "wallet-1", 0.5) < 0.3


def test_holds_are_reentrant_and_released(engines: tuple[Engine, Engine]) -> None:
    one, other = SharedLocks("test.wallet", engines[0]), SharedLocks("test.wallet", engines[1])
    with one.hold("a", "b"), one.hold("b"):  # the same thread takes "b" again
        pass
    assert _blocked_for_s(other, one, "zzz", "a", 0.0) < 0.3  # nothing left held by `one`
    lock, second = SharedLock("test.rtgs", engines[0]), SharedLock("test.rtgs", engines[1])
    with lock, lock:
        pass
    with second:  # would wait forever if `lock` had kept its advisory lock
        pass


def test_an_exception_inside_the_block_releases_the_lock(engines: tuple[Engine, Engine]) -> None:
    one, other = SharedLocks("test.wallet", engines[0]), SharedLocks("test.wallet", engines[1])
    with pytest.raises(RuntimeError), one.hold("w"):
        raise RuntimeError("refused")
    assert _blocked_for_s(other, one, "unrelated", "w", 0.0) < 0.3
    with other.hold("w"):
        pass


def test_on_sqlite_the_locks_stay_in_the_process() -> None:
    engine = create_engine("sqlite://")
    locks = SharedLocks("test.wallet", engine)
    assert not locks.across_processes
    with locks.hold("a"), locks.hold("a"):
        pass
