"""The PostgreSQL store and the domain engine when the primary is lost (issue 20).

A lost primary is simulated on the test server: its backend terminated
(`pg_terminate_backend`, what a crash or a failover does to a connection), a session
made read-only (what a demoted primary answers), or a COMMIT whose answer never comes
back, with the server having committed or not. What must hold: nothing acknowledged
is lost, nothing is written twice or half, and the store serves again afterwards.
"""

from __future__ import annotations

import itertools
import random
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError as SqlAlchemyOperationalError

from digisom.api.runtime import domain_engine
from digisom.kernel.locks import SharedLocks
from digisom.ledger.audit import verify
from digisom.ledger.model import Account, Transfer
from digisom.ledger.results import CreateAccountResult, CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.ledger.store import StoreUnavailable
from digisom.ledger.submitter import Submitter
from digisom.stores.postgres import PostgresStore
from digisom.stores.url import open_store
from tests.stores.conftest import KGS, Chain, commit, opening_batch, posted

pytestmark = pytest.mark.postgres

SOURCE, SINK = 1, 2
KILLS = 12


def _terminate(url: str, pid: int) -> None:
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))


class _LosesCommitAnswer:
    """A connection whose COMMIT never answers: the server commits it first (`committed`)
    or never sees it, then the connection drops, as when the primary dies mid-COMMIT."""

    def __init__(self, conn: psycopg.Connection[Any], committed: bool) -> None:
        self._conn = conn
        self._committed = committed

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    def execute(self, query: Any, *args: Any, **kwargs: Any) -> Any:
        if query != "COMMIT":
            return self._conn.execute(query, *args, **kwargs)
        if self._committed:
            self._conn.execute("COMMIT")
        self._conn.close()
        raise psycopg.OperationalError("server closed the connection unexpectedly")


@pytest.fixture
def pg_store(postgres_url: str) -> Iterator[PostgresStore]:
    store = PostgresStore(postgres_url, reconnect_timeout_s=5.0)
    yield store
    store.close()


def _opened(store: PostgresStore, chain: Chain) -> None:
    commit(store, opening_batch(chain, Account(SOURCE, KGS, 1), Account(SINK, KGS, 1)))


def _payment(chain: Chain, transfer_id: int) -> Any:
    paid = Transfer(transfer_id, SOURCE, SINK, 5, KGS, 1, timestamp=chain.timestamp + 1)
    return chain.batch(transfers_created=[paid], ledger_totals=[posted(KGS, 5 * transfer_id)])


def test_begin_and_reads_reconnect_after_the_backend_is_terminated(pg_store: PostgresStore, postgres_url: str) -> None:
    chain = Chain()
    _opened(pg_store, chain)
    _terminate(postgres_url, pg_store.backend_pid)
    assert pg_store.head().seq == 1  # a read outside a write: retried on a new connection
    _terminate(postgres_url, pg_store.backend_pid)
    commit(pg_store, _payment(chain, 10))  # begin() took the lock on a new connection
    assert set(pg_store.get_transfers([10])) == {10}


def test_a_demoted_primary_is_left_for_the_read_write_one(pg_store: PostgresStore, postgres_url: str) -> None:
    chain = Chain()
    _opened(pg_store, chain)
    # What a demoted primary (or a standby) answers to the writer's lock: read-only.
    pg_store._conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    commit(pg_store, _payment(chain, 10))
    assert set(pg_store.get_transfers([10])) == {10}


def test_a_commit_whose_answer_was_lost_is_looked_up_and_acknowledged(pg_store: PostgresStore) -> None:
    chain = Chain()
    _opened(pg_store, chain)
    pg_store.begin()
    pg_store._conn = _LosesCommitAnswer(pg_store._conn, committed=True)  # type: ignore[assignment]
    pg_store.commit(_payment(chain, 10))  # the server has it: acknowledged, not repeated
    assert pg_store.head().seq == 2
    assert set(pg_store.get_transfers([10])) == {10}
    commit(pg_store, _payment(chain, 11))  # the journal goes on from there
    assert pg_store.head().seq == 3


def test_a_commit_lost_before_the_server_saw_it_is_refused_typed_and_not_written(pg_store: PostgresStore) -> None:
    chain = Chain()
    _opened(pg_store, chain)
    pg_store.begin()
    pg_store._conn = _LosesCommitAnswer(pg_store._conn, committed=False)  # type: ignore[assignment]
    lost = _payment(chain, 10)
    with pytest.raises(StoreUnavailable, match="not written"):
        pg_store.commit(lost)
    assert pg_store.head().seq == 1
    assert pg_store.get_transfers([10]) == {}
    pg_store.begin()  # the store serves again, from the head it holds
    pg_store.commit(lost)
    assert set(pg_store.get_transfers([10])) == {10}


def test_terminated_writer_backends_lose_no_acknowledged_transfer(postgres_url: str) -> None:
    """Callers pay from several threads while the writer's backend is terminated again and
    again, mid-batch or mid-COMMIT: every acknowledged transfer is in the store, every
    refused one (typed StoreUnavailable) is not, and the journal verifies."""
    store = PostgresStore(postgres_url, reconnect_timeout_s=10.0)
    submitter = Submitter(Ledger(store))
    stop = threading.Event()
    try:
        assert submitter.create_accounts([
            Account(SOURCE, KGS, 1), Account(SINK, KGS, 1)]) == [CreateAccountResult.ok] * 2

        def kill_writer() -> int:
            kills, rng = 0, random.Random(20)
            while kills < KILLS and not stop.wait(rng.uniform(0.02, 0.08)):
                try:
                    pid = store.backend_pid
                except psycopg.OperationalError:  # between a loss and the reconnection
                    continue
                _terminate(postgres_url, pid)
                kills += 1
            stop.set()
            return kills

        def pay(caller: int) -> tuple[list[int], list[int]]:
            acknowledged, refused = [], []
            for n in itertools.takewhile(lambda _: not stop.is_set(), itertools.count()):
                transfer_id = 1_000_000 * (caller + 1) + n
                try:
                    results = submitter.create_transfers([Transfer(transfer_id, SOURCE, SINK, 7, KGS, 1)])
                except StoreUnavailable:
                    refused.append(transfer_id)
                    continue
                assert results == [CreateTransferResult.ok]
                acknowledged.append(transfer_id)
            return acknowledged, refused

        with ThreadPoolExecutor(5) as pool:
            killer = pool.submit(kill_writer)
            outcomes = list(pool.map(pay, range(4)))
            assert killer.result() == KILLS
    finally:
        stop.set()
        submitter.close()
        store.close()
    acknowledged = [t for done, _ in outcomes for t in done]
    refused = [t for _, failed in outcomes for t in failed]
    assert len(acknowledged) > len(refused)  # the writer kept serving between the kills
    checked = open_store(postgres_url)
    try:
        assert set(checked.get_transfers(acknowledged)) == set(acknowledged)
        assert checked.get_transfers(refused) == {}
        sink = checked.get_accounts([SINK])[SINK]
        assert sink.credits_posted == 7 * len(acknowledged)  # nothing applied twice
        assert verify(checked).ok
    finally:
        checked.close()


def _dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _multi_host(url: str) -> str:
    """`url` with a dead host first: libpq moves on to the live read-write one."""
    head, _, rest = url.partition("@")
    return f"{head}@127.0.0.1:{_dead_port()},{rest}?target_session_attrs=read-write"


def test_the_store_and_the_domain_engine_take_a_multi_host_url(postgres_url: str) -> None:
    url = _multi_host(postgres_url)
    store = open_store(url)
    try:
        assert store.head().seq == 0
    finally:
        store.close()
    engine = domain_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


def test_a_domain_write_that_loses_the_primary_is_unavailable_and_not_half_written(postgres_url: str) -> None:
    engine = domain_engine(postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE things (id integer PRIMARY KEY)"))
        # The whole transaction is inside the raises: it is rolled back on its way out.
        with pytest.raises(StoreUnavailable), engine.begin() as conn:  # noqa: PT012
            conn.execute(text("INSERT INTO things VALUES (1)"))
            _terminate(postgres_url, conn.execute(text("SELECT pg_backend_pid()")).scalar_one())
            conn.execute(text("INSERT INTO things VALUES (2)"))
        with engine.begin() as conn:  # the pool dropped the dead connection: served again
            assert conn.execute(text("SELECT count(*) FROM things")).scalar_one() == 0
    except SqlAlchemyOperationalError as error:  # what the old engine let through: a 500
        pytest.fail(f"the driver's error escaped untyped: {error}")
    finally:
        engine.dispose()


def test_the_cross_process_locks_report_a_lost_primary_like_the_domain_engine() -> None:
    engine = domain_engine(f"postgresql://postgres@127.0.0.1:{_dead_port()}/gone")
    try:
        with pytest.raises(StoreUnavailable), SharedLocks("failover", engine).hold("wallet"):
            pass
    finally:
        engine.dispose()
