"""The shortcuts taken for scale keep their meaning: the progress an executor counts from
its own batches equals a fresh count, even when another executor recorded batches in
between; what an upload stores (COPY on PostgreSQL) reads back unchanged; and a recipient
taken by another run between an upload's check and its insert is refused whole."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from digisom.disbursement import tables
from digisom.disbursement.model import PaymentStatus, Progress, RunStatus
from digisom.disbursement.parsing import FileRefused, Reason, RowError
from digisom.disbursement.ports import Channel, Destination
from digisom.disbursement.service import DisbursementService
from digisom.ledger.service import Ledger
from tests.disbursement.directory import FakeSources
from tests.disbursement.test_execute import (
    RECIPIENTS,
    TREASURY,
    TREASURY_CLERK,
    TREASURY_SUPERVISOR,
    KilledAfter,
    approved_run,
    build,
    pin,
)


def test_each_batch_reports_the_same_progress_as_a_fresh_count(engine: Engine, ledger: Ledger) -> None:
    service, directory = build(engine, ledger)
    directory.known[pin(2)] = Destination(Channel.WALLET, 999_999)  # no such ledger account: rejected
    run_id = approved_run(service)
    other = DisbursementService(engine, directory, KilledAfter(ledger, calls=3), FakeSources(TREASURY))
    reported: list[Progress] = []
    fresh: list[Progress] = []

    def on_batch(progress: Progress) -> None:
        reported.append(progress)
        fresh.append(service.progress(run_id))
        if len(reported) == 2:
            # Another executor records two batches of this run (and dies in its third)
            # between this executor's second and third.
            with contextlib.suppress(KeyboardInterrupt):
                other.execute(run_id, batch_size=5)

    done = service.execute(run_id, batch_size=5, on_batch=on_batch)
    assert reported == fresh
    assert len(reported) == RECIPIENTS // 5 - 2
    assert (done.status, done.pending, done.rejected, done.unclaimed) == (RunStatus.COMPLETED, 0, 1, 6)
    assert done.paid == RECIPIENTS - 7
    assert done.batches_done == RECIPIENTS // 5


def test_names_and_regions_read_back_as_uploaded(engine: Engine, ledger: Ledger) -> None:
    service, _ = build(engine, ledger)
    awkward = ["tab\there", "back\\slash", "Айгүл Асанова", 'quote "q"', "comma, inside", "\\N", "new\nline"]
    lines = ["pin,amount_tyiyn,name,region"]
    for n, name in enumerate(awkward, start=1):
        quoted = '"' + name.replace('"', '""') + '"'
        lines.append(f"{pin(n)},{1000 + n},{quoted},{quoted}")
    run = service.upload(TREASURY_CLERK, "awkward", "pensions", "2026-11", ("\n".join(lines) + "\n").encode())
    service.approve(TREASURY_SUPERVISOR, run.id)
    report = service.reconciliation(run.id)
    assert [(line.pin, line.name, line.region, line.amount_tyiyn) for line in report.lines] == [
        (pin(n), name.strip(), name.strip(), 1000 + n) for n, name in enumerate(awkward, start=1)
    ]
    assert {line.status for line in report.lines} == {PaymentStatus.PENDING}


def test_a_recipient_taken_between_the_check_and_the_insert_is_refused_by_the_database(
    engine: Engine, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    service, _ = build(engine, ledger)

    def file(*numbers: int) -> bytes:
        return ("pin,amount_tyiyn,region\n" + "".join(f"{pin(n)},{1000 + n},Naryn\n" for n in numbers)).encode()

    service.upload(TREASURY_CLERK, "first", "pensions", "2026-11", file(1))
    check_in_period = service._already_in_period
    calls: list[object] = []

    def blind_to_the_first_run(*args: Any) -> list[RowError]:
        # The race's window: another upload takes pin(1) after this upload's check.
        calls.append(args)
        return [] if len(calls) == 1 else check_in_period(*args)

    monkeypatch.setattr(service, "_already_in_period", blind_to_the_first_run)
    with pytest.raises(FileRefused) as refused:
        service.upload(TREASURY_CLERK, "second", "pensions", "2026-11", file(2, 1))
    assert [(e.reason, e.pin) for e in refused.value.report.errors] == [(Reason.ALREADY_IN_PERIOD, pin(1))]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(tables.runs)).scalar_one() == 1
        assert conn.execute(select(func.count()).select_from(tables.payments)).scalar_one() == 1
