"""A commit that returned is durable, and a batch is never half-written: SIGKILL the writer
20 times at random moments and check the store after each kill.

`crash_writer.py` commits batch after batch, pipelined (the next batch in the engine
while one commits), and prints each batch number once its results are yielded. After
each kill the test reopens the store and demands: every acknowledged batch is there
whole, no batch is there in part, and the auditor's `verify` passes. The next writer
continues where the store says it stopped.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from digisom.ledger.audit import verify
from digisom.ledger.service import Ledger
from digisom.stores.url import open_store

from .conftest import store_url
from .crash_writer import BATCH_TRANSFERS, BATCHES_MAX, transfer_id

WRITER = Path(__file__).with_name("crash_writer.py")
KILLS = 20
# The kill lands this long after the writer's first acknowledgement: long enough for a
# few batches, short enough that the 20 runs stay quick.
RUN_AFTER_FIRST_ACK_S = (0.05, 0.6)
WRITER_STALLED_S = 60.0
# Ids per lookup (`Ledger.lookup_transfers` takes at most 8,190).
LOOKUP_IDS_MAX = 8000


def run_until_killed(url: str, run_s: float) -> list[int]:
    """Start the writer, SIGKILL it `run_s` after its first acknowledgement; its acks."""
    writer = subprocess.Popen(
        [sys.executable, str(WRITER), url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    # A writer that never acknowledges would block readline() forever: kill it after a while.
    watchdog = threading.Timer(WRITER_STALLED_S, writer.kill)
    watchdog.start()
    try:
        assert writer.stdout is not None
        assert writer.stderr is not None
        first = writer.stdout.readline()
        if first:
            time.sleep(run_s)
            writer.send_signal(signal.SIGKILL)
        # Not communicate(): it reads the pipe itself and would drop the lines readline()
        # already buffered (acks that came close together). Once the writer is dead both
        # pipes end; a stalled writer is ended by the watchdog.
        out, err = writer.stdout.read(), writer.stderr.read()
        writer.wait(timeout=WRITER_STALLED_S)
    finally:
        watchdog.cancel()
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    # It must have been busy writing when it died, not have stopped on its own.
    assert writer.returncode == -signal.SIGKILL, f"the writer exited {writer.returncode}: {err}"
    assert first, f"no acknowledgement within {WRITER_STALLED_S} s: {err}"
    return [int(line) for line in (first + out).split()]


def batches_present(ledger: Ledger, known_whole: int) -> dict[int, int]:
    """For every batch that has any transfer in the store, how many it has.

    Batches below `known_whole` were found whole after an earlier kill; nothing writes
    them again, so their first and last transfers stand for them (they must still be
    there: a returned commit is durable). The rest are counted transfer by transfer.
    """
    counts: dict[int, int] = {}
    edges = [transfer_id(b, p) for b in range(known_whole) for p in (0, BATCH_TRANSFERS - 1)]
    ends: dict[int, int] = {}
    for start in range(0, len(edges), LOOKUP_IDS_MAX):
        for t in ledger.lookup_transfers(edges[start : start + LOOKUP_IDS_MAX]):
            ends[batch_of(t.id)] = ends.get(batch_of(t.id), 0) + 1
    # Both ends: still whole. One end: counted as 1 transfer, so reported as half.
    counts.update({b: BATCH_TRANSFERS if n == 2 else n for b, n in ends.items()})
    first = known_whole
    per_lookup = LOOKUP_IDS_MAX // BATCH_TRANSFERS
    while first < BATCHES_MAX:  # batches are committed in order: up to the first one with nothing
        ids = [transfer_id(b, p) for b in range(first, min(first + per_lookup, BATCHES_MAX))
               for p in range(BATCH_TRANSFERS)]
        found = ledger.lookup_transfers(ids)
        for t in found:
            counts[batch_of(t.id)] = counts.get(batch_of(t.id), 0) + 1
        if len(found) < len(ids):
            break
        first += per_lookup
    # And no stray batch beyond: one id per batch shows one.
    beyond = ledger.lookup_transfers([transfer_id(b, 0) for b in range(first, BATCHES_MAX)])
    strays = {batch_of(t.id) for t in beyond} - set(counts)
    assert not strays, f"batches {sorted(strays)} are there but an earlier one is missing"
    return counts


def batch_of(tid: int) -> int:
    return (tid - transfer_id(0, 0)) // (transfer_id(1, 0) - transfer_id(0, 0))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return store_url(request.param, tmp_path, request)


def test_killed_writer_loses_no_acknowledged_batch_and_leaves_no_half_batch(url: str) -> None:
    rng = random.Random(20261123)
    acknowledged: list[int] = []
    counts: dict[int, int] = {}
    for kill in range(KILLS):
        acks = run_until_killed(url, rng.uniform(*RUN_AFTER_FIRST_ACK_S))
        # Each run continues where the store says the last one stopped, one batch at a time.
        assert acks == list(range(acks[0], acks[0] + len(acks))), acks
        assert not acknowledged or acks[0] > acknowledged[-1]
        acknowledged += acks

        store = open_store(url)
        try:
            counts = batches_present(Ledger(store), known_whole=len(counts))
            half = {b: n for b, n in counts.items() if n != BATCH_TRANSFERS}
            assert not half, f"after kill {kill}: batches written in part (batch: transfers) {half}"
            lost = sorted(set(acknowledged) - set(counts))
            assert not lost, f"after kill {kill}: acknowledged batches {lost} are gone"
            report = verify(store)
            assert report.ok, f"after kill {kill}: {report.discrepancy}"
        finally:
            store.close()
    # A kill between a commit and its print leaves a batch that is there but unacknowledged.
    print(f"{KILLS} kills, {len(counts)} batches committed, {len(acknowledged)} acknowledged")
