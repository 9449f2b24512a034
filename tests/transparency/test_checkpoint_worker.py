"""Checkpoints inside `digisom serve`: the worker signs a head at start and every period,
and two checkpoints racing on one PostgreSQL database (two serve processes, or the CLI
beside one) run one after the other: the journal's head never goes back in the log, each
head is anchored once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from digisom.api.runtime import domain_engine
from digisom.api.transparency_wiring import checkpoint_worker_of
from digisom.cli.main import app as cli_app
from digisom.transparency import migrations
from digisom.transparency.checkpoint import Checkpoints, JournalHead
from digisom.transparency.log import TransparencyLog
from digisom.transparency.records import parse_entry
from digisom.transparency.verify import Findings, check_figures
from digisom.transparency.worker import CheckpointWorker

RACE_WAIT_S = 1.0  # how long the first checkpoint waits for the second to finish first


class _Journal:
    """A journal whose head moves at each read. The first reader then waits (up to
    `RACE_WAIT_S`) for the other checkpoint to finish: unserialised, the other logs the
    newer head first."""

    def __init__(self) -> None:
        self._seq = 0
        self._guard = threading.Lock()
        self.other_done = threading.Event()

    def head(self) -> JournalHead:
        with self._guard:
            self._seq += 1
            seq = self._seq
        if seq == 1:
            self.other_done.wait(RACE_WAIT_S)
        return JournalHead(seq, f"{seq:064x}")


class _Anchorer:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def anchor(self, digest: bytes) -> tuple[int, str, bytes, int]:
        self.sent.append(digest)
        return 31337, "0x" + f"{len(self.sent):064x}", digest, len(self.sent)


@pytest.fixture
def pg_engines(postgres_url: str) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one database: two processes' connections."""
    first, second = domain_engine(postgres_url), domain_engine(postgres_url)
    migrations.migrate(first)
    yield first, second
    first.dispose()
    second.dispose()


@pytest.fixture
def sqlite_engines(tmp_path: Path) -> Iterator[tuple[Engine, Engine]]:
    """Two engines on one SQLite file: the served process and `digisom log checkpoint` beside it."""
    url = f"sqlite:///{tmp_path / 'digisom.db'}"
    first, second = domain_engine(url), domain_engine(url)
    migrations.migrate(first)
    yield first, second
    first.dispose()
    second.dispose()


@pytest.mark.postgres
def test_two_checkpoints_racing_on_postgresql_run_one_after_the_other(pg_engines: tuple[Engine, Engine]) -> None:
    _race(pg_engines)


def test_two_checkpoints_racing_on_one_sqlite_file_run_one_after_the_other(
    sqlite_engines: tuple[Engine, Engine]
) -> None:
    _race(sqlite_engines)


def _race(engines: tuple[Engine, Engine]) -> None:
    key = Ed25519PrivateKey.generate()
    journal, anchorer = _Journal(), _Anchorer()
    # Each "process" has its own log, checkpoints and lock object: only the database serialises them.
    processes = [Checkpoints(TransparencyLog(engine, key, lambda: datetime(2026, 12, 7, tzinfo=UTC)), [],
                             journal.head, anchorer) for engine in engines]
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            if index == 1:
                time.sleep(0.2)  # the first has read the journal's head and holds the lock, if there is one
            processes[index].run()
            if index == 1:
                journal.other_done.set()
        except BaseException as error:  # reported by the test below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert not errors, errors

    log = processes[0].log
    records = [parse_entry(e.entry) for e in log.entries(0, log.size())]
    assert [r.record_id for r in records] == ["ledger_head:1", "ledger_head:2"]
    check_figures(records, Findings())  # the journal's heads only move forward
    heads = log.heads()
    assert [h.tree_size for h in heads] == [1, 2]
    assert [a.tree_size for a in log.anchors()] == [1, 2]
    assert len(anchorer.sent) == 2, "each head anchored once: no transaction wasted on a head already anchored"


def test_the_worker_checkpoints_at_start_and_every_period_and_survives_a_failed_round() -> None:
    calls: list[float] = []
    done = threading.Event()

    def checkpoint() -> object:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise ConnectionError("the chain node is down")
        if len(calls) >= 3:
            done.set()
        return type("Head", (), {"tree_size": len(calls)})()

    worker = CheckpointWorker(checkpoint, 0.05)  # type: ignore[arg-type]
    worker.start()
    try:
        assert done.wait(5)
    finally:
        worker.stop()
    assert worker.rounds >= 2, "the failed first round was logged and the next ones ran"
    with pytest.raises(ValueError, match="positive"):
        CheckpointWorker(checkpoint, 0)  # type: ignore[arg-type]


def test_serve_anchors_the_checkpoints_on_the_configured_chain_and_refuses_without_its_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from digisom.chain.embedded import EmbeddedChain  # noqa: PLC0415 - the EVM stack, this test only
    from digisom.chain.keys import KEY_ENV_VAR, generate_key  # noqa: PLC0415
    from digisom.chain.rpc import RpcChain  # noqa: PLC0415

    monkeypatch.delenv(KEY_ENV_VAR, raising=False)
    url = "http://anchor-chain.invalid"
    args = ["serve", "--port", "0", "--data", str(tmp_path / "data"), "--log-anchor-rpc-url", url]
    refused = CliRunner().invoke(cli_app, args)
    assert refused.exit_code == 2 and "error:" in refused.output

    chain, key = EmbeddedChain(31337), generate_key()
    chain.fund(key.address, 10**18)
    key_file = tmp_path / "anchor.key"
    key_file.write_text(key.key.hex())
    monkeypatch.setattr(RpcChain, "connect", classmethod(lambda _cls, to: chain if to == url else None))
    served: dict[str, Any] = {}

    def run(server: uvicorn.Server, sockets: Any = None) -> None:
        with TestClient(server.config.app) as client:  # start-up: the worker's first round
            worker = checkpoint_worker_of(client.app)  # type: ignore[arg-type]
            deadline = time.monotonic() + 10
            while worker is not None and worker.rounds < 1 and time.monotonic() < deadline:
                time.sleep(0.02)
            served["anchors"] = client.get("/v1/public/log/anchors").json()["items"]

    monkeypatch.setattr(uvicorn.Server, "run", run)
    result = CliRunner().invoke(cli_app, [*args, "--log-anchor-key-file", str(key_file),
                                          "--log-checkpoint-every-s", "3600"])
    assert result.exit_code == 0, result.output
    (anchor,) = served["anchors"]
    assert anchor["chain_id"] == 31337 and chain.receipt(anchor["tx_hash"]) is not None


def test_a_head_whose_anchor_failed_is_anchored_by_the_next_round(tmp_path: Path) -> None:
    engine = domain_engine(f"sqlite:///{tmp_path}/log.db")
    migrations.migrate(engine)
    journal, anchorer, rounds = iter(range(1, 10)), _Anchorer(), iter(range(1, 10))

    def anchor(digest: bytes) -> tuple[int, str, bytes, int]:
        if next(rounds) == 2:
            raise ConnectionError("the chain node is down")
        return anchorer.anchor(digest)

    flaky = type("Flaky", (), {"anchor": staticmethod(anchor)})()
    log = TransparencyLog(engine, Ed25519PrivateKey.generate(), lambda: datetime(2026, 12, 7, tzinfo=UTC))
    log.append("ledger_head:0", "ledger_head", {"journal_seq": 0, "journal_hash": "00" * 32})
    log.sign_head()  # signed before anchoring was turned on: stays unanchored, not sent in a burst
    checkpoints = Checkpoints(log, [], lambda: JournalHead(next(journal), "00" * 32), flaky)
    try:
        checkpoints.run()
        with pytest.raises(ConnectionError):
            checkpoints.run()
        checkpoints.run()
        assert [a.tree_size for a in log.anchors()] == [2, 3, 4], "the head the failed round left is anchored too"
    finally:
        engine.dispose()
