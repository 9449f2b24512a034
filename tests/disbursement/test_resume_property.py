"""Property: whatever batch a run is killed in, and whether the kill lands before or after
the ledger committed that batch, resuming pays every recipient exactly once and reduces
the budget line by exactly the total paid. (SQLite and a memory ledger, for speed; the
PostgreSQL case is in test_execute.py.)"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from digisom.api.runtime import domain_engine
from digisom.disbursement.migrations import migrate
from digisom.disbursement.model import RunStatus
from digisom.disbursement.ports import Channel
from digisom.disbursement.service import DisbursementService
from digisom.ledger.model import Transfer
from digisom.ledger.results import CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.stores.memory import MemoryStore
from tests.disbursement.directory import FakeDirectory, FakeSources
from tests.disbursement.test_execute import (
    BUDGET_TYIYN,
    RECIPIENTS,
    TREASURY,
    WALLETS_FIRST,
    amount_tyiyn,
    approved_run,
    balance,
    build,
    channel,
)


@dataclass(frozen=True)
class SqliteRun:
    """An approved run on a scratch SQLite file, paying through a memory ledger."""

    engine: Engine
    ledger: Ledger
    service: DisbursementService
    directory: FakeDirectory
    run_id: str


@contextlib.contextmanager
def approved_sqlite_run() -> Iterator[SqliteRun]:
    """A fresh `SqliteRun` (the property tests make one per example, for speed)."""
    with tempfile.TemporaryDirectory() as directory_path:
        engine = domain_engine(f"sqlite:///{Path(directory_path) / 'disbursement.db'}")
        try:
            migrate(engine)
            ledger = Ledger(MemoryStore())
            service, directory = build(engine, ledger)
            yield SqliteRun(engine, ledger, service, directory, approved_run(service))
        finally:
            engine.dispose()


@dataclass
class Killed:
    """Dies in its `calls`-th batch, before or after handing it to the ledger."""

    ledger: Ledger
    calls: int
    after_commit: bool

    def create_transfers(self, events: Sequence[Transfer]) -> list[CreateTransferResult]:
        self.calls -= 1
        if self.calls == 0 and not self.after_commit:
            raise KeyboardInterrupt("killed before the ledger")
        results = self.ledger.create_transfers(events)
        if self.calls == 0:
            raise KeyboardInterrupt("killed after the ledger")
        return results


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    batch_size=st.integers(min_value=1, max_value=25),
    kills=st.lists(st.tuples(st.integers(min_value=1, max_value=8), st.booleans()), max_size=3),
)
def test_any_kill_then_resume_pays_everyone_exactly_once(batch_size: int, kills: list[tuple[int, bool]]) -> None:
    with approved_sqlite_run() as run:
        ledger, service, run_id = run.ledger, run.service, run.run_id
        for calls, after_commit in kills:
            dying = DisbursementService(
                run.engine, run.directory, Killed(ledger, calls, after_commit), FakeSources(TREASURY)
            )
            with contextlib.suppress(KeyboardInterrupt):
                dying.execute(run_id, batch_size=batch_size)
        done = service.execute(run_id, batch_size=batch_size)
        remaining_tyiyn = service.programme("pensions").remaining_tyiyn
    paid = {n: amount_tyiyn(n) for n in range(1, RECIPIENTS + 1) if channel(n) is not Channel.NONE}
    assert done.status is RunStatus.COMPLETED
    assert (done.paid, done.pending, done.rejected) == (len(paid), 0, 0)
    for n, amount in paid.items():
        if channel(n) is Channel.WALLET:
            assert balance(ledger, WALLETS_FIRST + n) == (0, amount)
    assert balance(ledger, TREASURY) == (sum(paid.values()), BUDGET_TYIYN)
    assert remaining_tyiyn == BUDGET_TYIYN - sum(paid.values())
