"""`kernel.locks.FileLock`: another process holding the lock file keeps this one waiting
until it lets go (or dies); re-entrant in one thread; `process_lock` picks it for a SQLite
file only."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import create_engine

from digisom.kernel.locks import FileLock, SharedLock, process_lock

HOLDER = """
import sys
from digisom.kernel.locks import FileLock
lock = FileLock(sys.argv[1])
with lock:
    print("held", flush=True)
    sys.stdin.read()  # until the test closes our stdin
"""
WAIT_S = 0.5


def test_another_process_holding_the_lock_file_keeps_this_one_waiting(tmp_path: Path) -> None:
    path = str(tmp_path / "digisom.db.lock")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, path], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        acquired = threading.Event()

        def take() -> None:
            with FileLock(path):
                acquired.set()

        taker = threading.Thread(target=take)
        taker.start()
        assert not acquired.wait(WAIT_S), "taken while another process held it"
        assert holder.stdin is not None
        holder.stdin.close()  # the holder leaves its block and exits
        assert acquired.wait(10), "not taken once the other process let go"
        taker.join(10)
    finally:
        holder.kill()
        holder.wait()


def test_it_is_re_entrant_in_one_thread_and_released_by_the_outermost_exit(tmp_path: Path) -> None:
    lock, other = FileLock(str(tmp_path / "x.lock")), FileLock(str(tmp_path / "x.lock"))
    taken = threading.Event()
    with lock, lock:
        waiter = threading.Thread(target=lambda: (other.__enter__(), taken.set(), other.__exit__()))
        waiter.start()
        assert not taken.wait(WAIT_S)
    assert taken.wait(10)
    waiter.join(10)


def test_process_lock_uses_a_lock_file_for_a_sqlite_file_only(tmp_path: Path) -> None:
    on_file = create_engine(f"sqlite:///{tmp_path / 'digisom.db'}")
    assert isinstance(process_lock("ns", on_file), FileLock)
    with process_lock("ns", on_file):
        assert (tmp_path / "digisom.db.ns.lock").exists()
    assert isinstance(process_lock("ns", create_engine("sqlite://")), SharedLock)
    assert isinstance(process_lock("ns", None), SharedLock)
