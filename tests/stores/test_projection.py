"""The PostgreSQL transfer table as a projection of the journal (`project_behind`):
what a reader sees while records wait, what a crash leaves, and that the table ends
equal to the journal's transfers, each written once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from digisom.ledger import journal
from digisom.ledger.model import Account, AccountFilter, Transfer
from digisom.ledger.results import CreateTransferResult as R
from digisom.ledger.service import Ledger
from digisom.stores.postgres import PROJECTOR_APPLICATION_NAME, PostgresStore
from digisom.stores.projection import TailCache, projection_discrepancies

KGS = 417
ACCOUNTS = 20


def _pay(first_id: int, count: int) -> list[Transfer]:
    return [Transfer(first_id + n, 1 + n % ACCOUNTS, 1 + (n + 1) % ACCOUNTS, 1 + n, KGS, 1) for n in range(count)]


def _table_and_journal(url: str) -> tuple[list[bytes], list[int], int, int]:
    """The transfer ids in the table, the journal's (decoded), and both heads, all from one
    snapshot: read committed would give each query its own, and a projector committing
    between the first and the third would show an empty table at a moved head."""
    with psycopg.connect(url) as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        table = sorted(bytes(row[0]) for row in conn.execute("SELECT id FROM transfers"))
        records = conn.execute("SELECT payload FROM journal ORDER BY seq").fetchall()
        (projected,) = conn.execute("SELECT seq FROM projection_head").fetchone() or (0,)
        (head,) = conn.execute("SELECT seq FROM journal_head").fetchone() or (0,)
    written = sorted(t.id for payload, in records for t in journal.decode(bytes(payload)).transfers)
    return table, written, projected, head


def _ids(table: list[bytes]) -> list[int]:
    return sorted(int.from_bytes(i, "big") for i in table)


def test_a_reader_sees_waiting_records_and_a_history_page_projects_them(postgres_url: str) -> None:
    writer = PostgresStore(postgres_url, project_behind=True, projector_thread=False)
    ledger = Ledger(writer)
    ledger.create_accounts([Account(i, KGS, 1) for i in range(1, ACCOUNTS + 1)])
    batches = [_pay(100, 30), _pay(200, 30), _pay(300, 30)]
    for batch in batches:
        assert ledger.create_transfers(batch) == [R.ok] * len(batch)
    table, written, projected, head = _table_and_journal(postgres_url)
    assert table == [] and len(written) == 90 and projected < head  # nothing projected: three records wait

    reader = PostgresStore(postgres_url)  # another process's store: it has only the journal
    second = PostgresStore(postgres_url, project_behind=True, projector_thread=False)
    try:
        found = reader.get_transfers([100, 229, 329, 999])
        assert sorted(found) == [100, 229, 329]
        assert found[229].amount == 30 and found[229].timestamp > 0
        # The same transfer again, through another writer: the engine must see the waiting
        # one (a batch's idempotency reads take the tail too).
        assert Ledger(second).create_transfers([batches[1][5]]) == [R.exists]
        assert _table_and_journal(postgres_url)[0] == []
        page = Ledger(reader).get_account_transfers(AccountFilter(2, limit=100))
        assert {t.id for t in page} == {100, 101, 120, 121, 200, 201, 220, 221, 300, 301, 320, 321}
    finally:
        second.close()
        reader.close()
        writer.close()
    table, written, projected, head = _table_and_journal(postgres_url)
    assert _ids(table) == written and projected == head
    assert _discrepancies(postgres_url) == []


def test_a_writer_of_its_own_rows_projects_the_tail_first(postgres_url: str) -> None:
    behind = PostgresStore(postgres_url, project_behind=True, projector_thread=False)
    ledger = Ledger(behind)
    ledger.create_accounts([Account(i, KGS, 1) for i in range(1, ACCOUNTS + 1)])
    ledger.create_transfers(_pay(100, 30))
    inline = PostgresStore(postgres_url)
    try:
        assert Ledger(inline).create_transfers(_pay(200, 5)) == [R.ok] * 5
        table, written, projected, head = _table_and_journal(postgres_url)
        assert _ids(table) == written and len(written) == 35 and projected == head
    finally:
        inline.close()
        behind.close()


def test_a_crashed_writers_records_are_projected_by_the_next_projector(postgres_url: str) -> None:
    crashed = PostgresStore(postgres_url, project_behind=True, projector_thread=False)
    ledger = Ledger(crashed)
    ledger.create_accounts([Account(i, KGS, 1) for i in range(1, ACCOUNTS + 1)])
    ledger.create_transfers(_pay(100, 50))
    crashed._conn.close()  # no clean close: nothing is projected on the way out
    assert _table_and_journal(postgres_url)[0] == []

    survivor = PostgresStore(postgres_url, project_behind=True)
    try:
        Ledger(survivor).create_transfers(_pay(500, 10))  # starts its projector thread
        table, written, projected, head = _wait_projected(postgres_url)
        assert _ids(table) == written and len(written) == 60 and projected == head
    finally:
        survivor.close()


def test_concurrent_projectors_write_each_transfer_once(postgres_databases: Callable[[], str]) -> None:
    url = postgres_databases()
    writer = PostgresStore(url, project_behind=True, projector_thread=False)
    ledger = Ledger(writer)
    ledger.create_accounts([Account(i, KGS, 1) for i in range(1, ACCOUNTS + 1)])
    for first in range(100, 2100, 100):
        ledger.create_transfers(_pay(first, 40))
    projectors = [PostgresStore(url) for _ in range(3)]
    errors: list[BaseException] = []

    def run(store: PostgresStore) -> None:
        try:
            store.project()
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(p,)) for p in projectors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in (*projectors, writer):
        store.close()
    assert errors == []
    table, written, projected, head = _table_and_journal(url)
    assert len(table) == len(set(table)) == 800 and _ids(table) == written and projected == head
    assert _discrepancies(url) == []


def test_a_projected_commit_needs_a_record_that_holds_its_transfers(postgres_url: str) -> None:
    from digisom.errors import InvariantViolation  # noqa: PLC0415
    from digisom.ledger.journal import chain_hash  # noqa: PLC0415
    from digisom.ledger.store import GENESIS_HASH, CommittedBatch, JournalRecord  # noqa: PLC0415

    store = PostgresStore(postgres_url, project_behind=True, projector_thread=False)
    try:
        payload = journal.encode(1, 10, [], [], [])  # says: no transfers
        record = JournalRecord(1, GENESIS_HASH, chain_hash(GENESIS_HASH, payload), payload)
        store.begin()
        with pytest.raises(InvariantViolation, match="does not hold the batch's transfers"):
            store.commit(CommittedBatch(record, 10, transfers_created=[Transfer(1, 1, 2, 5, KGS, 1, timestamp=10)]))
        store.rollback()
        assert store.head().seq == 0
    finally:
        store.close()


class _FlakyConnection:
    """A projector connection whose first use fails if `lost`, as one whose primary went away."""

    def __init__(self, conn: psycopg.Connection[Any], *, lost: bool) -> None:
        self._conn = conn
        self.lost = lost
        self.used = False

    @property
    def closed(self) -> bool:
        return self._conn.closed

    def close(self) -> None:
        self._conn.close()

    def transaction(self) -> Any:
        self.used = True
        if self.lost:
            raise psycopg.OperationalError("server closed the connection unexpectedly")
        return self._conn.transaction()

    def cursor(self) -> Any:
        return self._conn.cursor()


def test_the_projector_thread_reconnects_after_a_failed_step(postgres_url: str) -> None:
    from digisom.stores.postgres import _write_transfers  # noqa: PLC0415
    from digisom.stores.projection import Projector  # noqa: PLC0415

    writer = PostgresStore(postgres_url, project_behind=True, projector_thread=False)
    ledger = Ledger(writer)
    ledger.create_accounts([Account(i, KGS, 1) for i in range(1, ACCOUNTS + 1)])
    ledger.create_transfers(_pay(100, 20))
    connections: list[_FlakyConnection] = []

    def connect() -> Any:
        connections.append(_FlakyConnection(psycopg.connect(postgres_url, autocommit=True), lost=not connections))
        return connections[-1]

    projector = Projector(connect, TailCache(), _write_transfers)
    try:
        projector.signal()
        table, written, projected, head = _wait_projected(postgres_url)
    finally:
        projector.stop()
        writer.close()
    # The first connection's step failed and it was closed; the second projected the record.
    assert [(c.lost, c.used) for c in connections] == [(True, True), (False, True)] and connections[0].closed
    assert _ids(table) == written and len(written) == 20 and projected == head


def test_the_projector_reconnects_after_losing_its_connection(postgres_url: str) -> None:
    store = PostgresStore(postgres_url, project_behind=True)
    ledger = Ledger(store)
    ledger.create_accounts([Account(i, KGS, 1) for i in range(1, ACCOUNTS + 1)])
    try:
        ledger.create_transfers(_pay(100, 20))
        _wait_projected(postgres_url)
        with psycopg.connect(postgres_url, autocommit=True) as admin:
            ended = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                  "WHERE application_name = %s", (PROJECTOR_APPLICATION_NAME,)).fetchone()
        assert ended == (1,)
        ledger.create_transfers(_pay(200, 20))
        table, written, projected, head = _wait_projected(postgres_url)
        assert _ids(table) == written and len(written) == 40 and projected == head
    finally:
        store.close()


def _wait_projected(url: str) -> tuple[list[bytes], list[int], int, int]:
    deadline = time.monotonic() + 10
    while True:
        state = _table_and_journal(url)
        if state[2] == state[3] or time.monotonic() > deadline:
            return state
        time.sleep(0.05)


def _discrepancies(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return projection_discrepancies(conn, page_records=2)


def test_the_projection_check_finds_a_missing_a_changed_and_an_extra_row(postgres_url: str) -> None:
    store = PostgresStore(postgres_url, project_behind=True, projector_thread=False)
    ledger = Ledger(store)
    ledger.create_accounts([Account(i, KGS, 1) for i in range(1, ACCOUNTS + 1)])
    for first in (100, 200, 300):
        ledger.create_transfers(_pay(first, 10))
    store.project()
    store.close()
    assert _discrepancies(postgres_url) == []
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DELETE FROM transfers WHERE id = %s", ((105).to_bytes(16, "big"),))
        conn.execute("UPDATE transfers SET amount = amount + 1 WHERE id = %s", ((206).to_bytes(16, "big"),))
        conn.execute("INSERT INTO transfers SELECT %s, debit_account_id, credit_account_id, amount, ledger, code, "
                     "flags, pending_id, timeout_s, user_data_128, user_data_64, user_data_32, timestamp + 10000 "
                     "FROM transfers WHERE id = %s", ((999).to_bytes(16, "big"), (307).to_bytes(16, "big")))
    assert sorted(_discrepancies(postgres_url)) == [
        "transfer 105 of a projected record is not in the table",
        "transfer 206 differs from its record",
        "transfer 999 is in the table but in no projected record",
    ]


def test_ledger_verify_reports_the_projection(postgres_url: str) -> None:
    from typer.testing import CliRunner  # noqa: PLC0415

    from digisom.cli.main import app  # noqa: PLC0415

    store = PostgresStore(postgres_url, project_behind=True, projector_thread=False)
    ledger = Ledger(store)
    ledger.create_accounts([Account(i, KGS, 1) for i in range(1, ACCOUNTS + 1)])
    ledger.create_transfers(_pay(100, 10))
    store.project()
    store.close()
    good = CliRunner().invoke(app, ["ledger", "verify", "--db", postgres_url])
    assert good.exit_code == 0 and '"projection_discrepancies": []' in good.stdout
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("DELETE FROM transfers WHERE id = %s", ((103).to_bytes(16, "big"),))
    bad = CliRunner().invoke(app, ["ledger", "verify", "--db", postgres_url])
    assert bad.exit_code == 1 and "transfer 103 of a projected record is not in the table" in bad.stdout


def test_the_cli_loads_transfers_projected_behind(postgres_url: str) -> None:
    import json  # noqa: PLC0415

    from typer.testing import CliRunner  # noqa: PLC0415

    from digisom.cli.main import app  # noqa: PLC0415

    runner = CliRunner()
    accounts = "".join(json.dumps({"id": str(i), "ledger": KGS, "code": 1, "flags": []}) + "\n" for i in (1, 2))
    assert runner.invoke(app, ["ledger", "create-accounts", "--db", postgres_url], input=accounts).exit_code == 0
    transfers = "".join(json.dumps({"id": str(10 + n), "debit_account_id": "1", "credit_account_id": "2",
                                    "amount": str(n + 1), "ledger": KGS, "code": 1}) + "\n" for n in range(50))
    loaded = runner.invoke(app, ["ledger", "create-transfers", "--db", postgres_url, "--batch-size", "7",
                                 "--project-behind"], input=transfers)
    assert loaded.exit_code == 0 and loaded.stdout.count('"ok"') == 50
    table, written, projected, head = _table_and_journal(postgres_url)
    assert _ids(table) == written == list(range(10, 60)) and projected == head  # all projected by the end
    assert _discrepancies(postgres_url) == []


def test_a_lookup_keeps_the_records_it_held_when_the_projector_drops_them_meanwhile(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race the reference model found: the lookup's tail query leaves out the records
    this process holds; the table lookup runs before the projector commits them; the
    projector then commits and drops them from the cache before the lookup reads it."""
    store = PostgresStore(postgres_url, project_behind=True, projector_thread=False)
    ledger = Ledger(store)
    ledger.create_accounts([Account(i, KGS, 1) for i in range(1, ACCOUNTS + 1)])
    ledger.create_transfers(_pay(100, 10))
    projector = PostgresStore(postgres_url)
    absorb = TailCache.absorb

    def projected_meanwhile(cache: TailCache, rows: Any, held: Any) -> Any:
        projector.project()  # commits the held record...
        cache.projected(projector.head().seq)  # ...and drops it from the cache, as the thread does
        return absorb(cache, rows, held)

    monkeypatch.setattr(TailCache, "absorb", projected_meanwhile)
    try:
        assert sorted(store.get_transfers([100, 105, 109])) == [100, 105, 109]
    finally:
        monkeypatch.undo()
        projector.close()
        store.close()


def test_serve_settings_turn_the_projection_on_for_the_api_writer(postgres_url: str, tmp_path: Path) -> None:
    """`digisom serve --project-transfers-behind` reaches the runtime's writer: its first
    transfers start a projector (named in pg_stat_activity), and a clean close leaves the
    table equal to the journal. (Four such processes under load: the slow test in
    tests/api/test_many_processes.py.)"""
    from digisom.api.workers import ServeSettings  # noqa: PLC0415
    from digisom.cbdc.model import ParticipantKind  # noqa: PLC0415
    from digisom.kernel.access import Actor, Role  # noqa: PLC0415

    settings = ServeSettings(str(tmp_path), postgres_url, None, None, None, log_checkpoint_every_s=None,
                             travelrule_callbacks_every_s=None, project_transfers_behind=True)
    runtime = settings.build_runtime()
    try:
        runtime.service.register_participant("ayil-bank", ParticipantKind.COMMERCIAL_BANK, "Ayil Bank", "AYIL")
        runtime.service.convert(Actor(Role.CENTRAL_BANK_OPERATOR, "test"), "reserve_credit", "AYIL", 10_000,
                                "projection-serve-test")
        # The projector thread connects once it first wakes: wait for it, not for a fixed time.
        deadline = time.monotonic() + 10
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            while (projectors := conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                                              (PROJECTOR_APPLICATION_NAME,)).fetchone()) != (1,):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)
        assert projectors == (1,)
    finally:
        runtime.close()
    table, written, projected, head = _table_and_journal(postgres_url)
    assert written and _ids(table) == written and projected == head
    assert _discrepancies(postgres_url) == []
