"""Programmes, budget lines and runs: migrations, dual control, and one payment per
recipient per programme and period, enforced by the database."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import IntegrityError

from digisom.disbursement import tables
from digisom.disbursement.migrations import MIGRATIONS, migrate
from digisom.disbursement.model import (
    AlreadyExists,
    DualControl,
    InvalidInput,
    KeyReused,
    NotFound,
    RunStatus,
    WrongState,
)
from digisom.disbursement.parsing import FileRefused, Reason
from digisom.disbursement.ports import Channel, Destination
from digisom.disbursement.service import DisbursementService
from digisom.ledger.service import Ledger
from digisom.stores.memory import MemoryStore
from tests.disbursement.directory import TREASURY_WALLET, FakeDirectory, FakeSources

TREASURY_ACCOUNT = 9_001
TREASURY_CLERK = "treasury-clerk"
TREASURY_SUPERVISOR = "treasury-supervisor"
PENSIONER = "21203195000123"
WIDOW = "11505196000456"


def service(engine: Engine) -> DisbursementService:
    # Nothing here reaches the ledger: a memory one will do.
    directory = FakeDirectory({PENSIONER: Destination(Channel.WALLET, 101), WIDOW: Destination(Channel.WALLET, 102)})
    svc = DisbursementService(engine, directory, Ledger(MemoryStore()), FakeSources(TREASURY_ACCOUNT))
    svc.create_programme("pensions", "Pensions", TREASURY_WALLET, budget_tyiyn=1_000_000)
    return svc


FILE = f"pin,amount,region\n{PENSIONER},8500,Naryn\n{WIDOW},700,Osh\n".encode()


def test_migrations_apply_once(engine: Engine) -> None:
    assert migrate(engine) == []
    assert set(tables.metadata.tables) <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version FROM disbursement_schema_migrations")).scalars()
        assert list(versions) == [m.version for m in MIGRATIONS]


def test_a_taken_programme_id_is_already_exists(engine: Engine) -> None:
    svc = service(engine)
    with pytest.raises(AlreadyExists):
        svc.create_programme("pensions", "Pensions again", TREASURY_WALLET, budget_tyiyn=1)


def test_a_programme_the_table_refuses_is_raised_not_taken_for_a_taken_id(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A NOT NULL the row breaks (here no creation time) is a broken rule, not a 409."""
    svc = service(engine)
    monkeypatch.setattr(svc, "_clock", lambda: None)
    with pytest.raises(IntegrityError):
        svc.create_programme("housing", "Housing", TREASURY_WALLET, budget_tyiyn=1)


def test_upload_then_approve_by_another_operator(engine: Engine) -> None:
    svc = service(engine)
    run = svc.upload(TREASURY_CLERK, "nov-1", "pensions", "2026-11", FILE)
    assert (run.status, run.rows, run.total_tyiyn) == (RunStatus.UPLOADED, 2, 920_000)
    assert svc.upload(TREASURY_CLERK, "nov-1", "pensions", "2026-11", FILE) == run  # idempotent
    with pytest.raises(DualControl):
        svc.approve(TREASURY_CLERK, run.id)
    approved = svc.approve(TREASURY_SUPERVISOR, run.id)
    assert (approved.status, approved.approved_by) == (RunStatus.APPROVED, TREASURY_SUPERVISOR)
    assert svc.approve(TREASURY_SUPERVISOR, run.id) == approved
    with pytest.raises(WrongState):
        svc.approve("treasury-auditor", run.id)


def test_the_database_refuses_self_approval_too(engine: Engine) -> None:
    svc = service(engine)
    run = svc.upload(TREASURY_CLERK, "nov-1", "pensions", "2026-11", FILE)
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(tables.runs.update().where(tables.runs.c.id == run.id).values(approved_by=TREASURY_CLERK))


def test_a_recipient_is_in_at_most_one_run_per_period(engine: Engine) -> None:
    svc = service(engine)
    svc.upload(TREASURY_CLERK, "nov-1", "pensions", "2026-11", f"pin,amount,region\n{PENSIONER},1,Naryn\n".encode())
    with pytest.raises(FileRefused) as refused:
        svc.upload(TREASURY_CLERK, "nov-2", "pensions", "2026-11", FILE)
    assert [(e.line, e.reason) for e in refused.value.report.errors] == [(2, Reason.ALREADY_IN_PERIOD)]
    # Next month is another period.
    assert svc.upload(TREASURY_CLERK, "dec-1", "pensions", "2026-12", FILE).rows == 2


def test_the_database_enforces_one_payment_per_period(engine: Engine) -> None:
    svc = service(engine)
    run = svc.upload(TREASURY_CLERK, "nov-1", "pensions", "2026-11", FILE)
    with engine.connect() as conn:
        row = dict(conn.execute(select(tables.payments).where(tables.payments.c.pin == PENSIONER)).mappings().one())
    del row["seq"]
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(tables.payments.insert().values(**row))
    assert svc.run(run.id).rows == 2


def test_pending_runs_count_against_the_budget_line(engine: Engine) -> None:
    svc = service(engine)
    svc.upload(TREASURY_CLERK, "nov-1", "pensions", "2026-11", FILE)  # 920,000 of 1,000,000
    with pytest.raises(FileRefused) as refused:
        svc.upload(TREASURY_CLERK, "dec-1", "pensions", "2026-12", FILE)
    assert [e.reason for e in refused.value.report.errors] == [Reason.TOTAL_OVER_BUDGET]


def test_a_refused_file_records_nothing(engine: Engine) -> None:
    svc = service(engine)
    with pytest.raises(FileRefused):
        svc.upload(TREASURY_CLERK, "nov-1", "pensions", "2026-11", f"{FILE.decode()}{WIDOW},1,Osh\n".encode())
    with engine.connect() as conn:
        assert conn.execute(select(tables.runs)).first() is None
        assert conn.execute(select(tables.payments)).first() is None


@pytest.mark.parametrize("period", ["2026-13", "2026-1", "november"])
def test_bad_periods_and_unknown_programmes(engine: Engine, period: str) -> None:
    svc = service(engine)
    with pytest.raises(InvalidInput):
        svc.upload(TREASURY_CLERK, "k", "pensions", period, FILE)
    with pytest.raises(NotFound):
        svc.upload(TREASURY_CLERK, "k", "child-benefit", "2026-11", FILE)


def test_an_idempotency_key_names_one_file(engine: Engine) -> None:
    svc = service(engine)
    svc.upload(TREASURY_CLERK, "nov-1", "pensions", "2026-11", FILE)
    with pytest.raises(KeyReused):
        svc.upload(TREASURY_CLERK, "nov-1", "pensions", "2026-11", FILE.replace(b"8500", b"8501"))


def test_one_report_lists_rows_already_in_the_period_beside_other_errors(engine: Engine) -> None:
    svc = service(engine)
    svc.upload(TREASURY_CLERK, "nov-1", "pensions", "2026-11", f"pin,amount,region\n{PENSIONER},1,Naryn\n".encode())
    data = f"pin,amount,region\n{PENSIONER},1,Naryn\n{WIDOW},zero,Osh\n".encode()
    with pytest.raises(FileRefused) as refused:
        svc.upload(TREASURY_CLERK, "nov-2", "pensions", "2026-11", data)
    assert [(e.line, e.reason) for e in refused.value.report.errors] == [
        (2, Reason.ALREADY_IN_PERIOD),
        (3, Reason.NON_NUMERIC_AMOUNT),
    ]


def test_racing_uploads_cannot_overcommit_the_budget_line(engine: Engine) -> None:
    svc = service(engine)  # budget 1,000,000 tyiyn
    files = [
        f"pin,amount_tyiyn,region\n{PENSIONER},600000,Naryn\n".encode(),
        f"pin,amount_tyiyn,region\n{WIDOW},600000,Osh\n".encode(),
    ]
    barrier = threading.Barrier(2)

    def upload(index: int) -> str:
        barrier.wait()
        try:
            svc.upload(TREASURY_CLERK, f"race-{index}", "pensions", "2026-11", files[index])
        except FileRefused as refused:
            return refused.report.errors[0].reason.value
        return "uploaded"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(upload, range(2)))
    assert outcomes == [Reason.TOTAL_OVER_BUDGET.value, "uploaded"]
