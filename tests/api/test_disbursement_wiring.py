"""The wiring of disbursements into the API process: the alias-directory adapter (with a
fake resolver) and the background execution worker."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from digisom.api.disbursement_wiring import CbdcRecipientDirectory
from digisom.disbursement.http.executions import Executions, WorkerState
from digisom.disbursement.model import Progress, RunStatus
from digisom.disbursement.ports import Channel, Destination
from tests.api.disbursement_fakes import FakeResolver, FakeTarget

PENSIONER, FARMER, WIDOW, STRANGER = "21203195000001", "21203195000002", "21203195000003", "21203195000004"
PENSIONER_WALLET, FARMER_BANK_FLOAT, PENSIONER_BENEFIT = 1_001, 2_002, 3_003


def resolver() -> FakeResolver:
    return FakeResolver(
        targets={
            PENSIONER: FakeTarget("wallet", PENSIONER_WALLET, "AYIL", "wpensioner"),
            FARMER: FakeTarget("bank_account", FARMER_BANK_FLOAT, "BAKAI", None, "1280000000000042"),
            WIDOW: FakeTarget("unknown-channel", 5, "AYIL"),
        },
        benefit_accounts={("child-benefit", "wpensioner"): PENSIONER_BENEFIT},
    )


def test_without_a_scheme_wallets_and_bank_accounts_are_paid_where_the_directory_says() -> None:
    fake = resolver()
    found = CbdcRecipientDirectory(fake).resolve([PENSIONER, FARMER, WIDOW, STRANGER])
    assert found == {
        PENSIONER: Destination(Channel.WALLET, PENSIONER_WALLET),
        FARMER: Destination(Channel.BANK_ACCOUNT, FARMER_BANK_FLOAT),
        WIDOW: Destination(Channel.NONE),  # a channel this adapter does not know is not paid
    }  # the stranger is absent: unknown_pin
    assert fake.benefit_calls == []


def test_a_benefit_goes_to_the_wallets_benefit_account_and_never_to_a_bank_account() -> None:
    fake = resolver()
    found = CbdcRecipientDirectory(fake).resolve([PENSIONER, FARMER, STRANGER], "child-benefit")
    assert found == {
        PENSIONER: Destination(Channel.WALLET, PENSIONER_BENEFIT),
        FARMER: Destination(Channel.NONE),  # held as unclaimed
    }
    assert fake.benefit_calls == [("child-benefit", ("wpensioner",))]  # wallets only, one call


def test_no_wallet_no_benefit_lookup_and_an_expired_scheme_refuses() -> None:
    fake = resolver()
    assert CbdcRecipientDirectory(fake).resolve([FARMER], "child-benefit") == {FARMER: Destination(Channel.NONE)}
    assert fake.benefit_calls == []
    with pytest.raises(LookupError):
        CbdcRecipientDirectory(fake).resolve([PENSIONER], "expired")


class FakeService:
    """`DisbursementService.execute` that reports a batch at a time until told to stop."""

    def __init__(self, batches: int, fail: bool = False) -> None:
        self.batches = batches
        self.fail = fail
        self.done = 0
        self.started = threading.Event()
        self.proceed = threading.Event()

    def execute(self, run_id: str, batch_size: int, on_batch: Callable[[Progress], None]) -> Progress:
        self.started.set()
        self.proceed.wait(10)
        if self.fail:
            raise RuntimeError("ledger unavailable")
        for n in range(self.batches):
            self.done += 1
            on_batch(Progress(run_id, RunStatus.EXECUTING, self.batches, self.batches - n - 1, n + 1, 0, 0, 0, n + 1))
        return Progress(run_id, RunStatus.COMPLETED, self.batches, 0, self.batches, 0, 0, 0, self.batches)


def executions(service: FakeService) -> Executions:
    return Executions(service, batch_size=1)  # type: ignore[arg-type]  # the fake has execute only


def test_one_worker_per_run_and_a_second_request_only_reports() -> None:
    service = FakeService(batches=3)
    worker = executions(service)
    try:
        assert worker.start("run_a") is True
        assert service.started.wait(10)
        assert worker.start("run_a") is False  # already executing here
        assert worker.state("run_a").running is True
        service.proceed.set()
        worker.wait("run_a", timeout_s=10)
        assert worker.state("run_a") == WorkerState(False, None)
        assert service.done == 3
    finally:
        worker.close()


def test_a_failed_run_shows_its_error_and_may_be_started_again() -> None:
    service = FakeService(batches=1, fail=True)
    service.proceed.set()
    worker = executions(service)
    try:
        worker.start("run_a")
        worker.wait("run_a", timeout_s=10)
        error = worker.state("run_a").error
        # A stable problem type; Python's exception text stays in the server's log.
        assert error is not None and error.type == "https://digisom.kg/problems/execution-failed"
        assert "ledger unavailable" not in error.detail
        service.fail = False
        assert worker.start("run_a") is True
        worker.wait("run_a", timeout_s=10)
        assert worker.state("run_a").error is None and service.done == 1
    finally:
        worker.close()


def test_shutdown_stops_between_batches_without_an_error() -> None:
    service = FakeService(batches=1_000)
    worker = executions(service)
    worker.start("run_a")
    assert service.started.wait(10)
    closing = threading.Thread(target=worker.close)
    closing.start()
    while not worker._stopping.is_set():  # wait for close() to begin
        time.sleep(0.001)
    service.proceed.set()
    closing.join(10)
    assert service.done == 1  # the batch in flight was recorded, then the worker stopped
    assert worker.state("run_a").error is None



def test_a_run_queued_at_shutdown_is_not_started_and_shows_no_error() -> None:
    service = FakeService(batches=1)
    worker = Executions(service, batch_size=1, workers=1)  # type: ignore[arg-type]
    worker.start("run_a")
    assert service.started.wait(10)
    worker.start("run_b")  # queued behind run_a on the only worker thread
    worker._pool.shutdown(wait=False, cancel_futures=True)  # what close() does to the queue
    assert worker.state("run_b") == WorkerState(False, None)
    service.proceed.set()
    worker.close()
    assert service.done == 1
