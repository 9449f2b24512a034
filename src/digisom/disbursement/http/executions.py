"""The disbursement domain in an API process: its services and the background worker
that executes approved runs (`Executions`)."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Engine

from digisom.disbursement.model import Progress, RunStatus, WrongState
from digisom.disbursement.service import DisbursementService
from digisom.disbursement.taxes import TaxService
from digisom.http.problems import ApiProblem, worker_problem
from digisom.kernel.errors import DomainError
from digisom.kernel.gateway import LedgerGateway
from digisom.ledger.model import BATCH_EVENTS_MAX

# Runs executed at once per API process: each already fills whole ledger batches, so a
# second worker only helps when two programmes pay on the same day.
EXECUTION_WORKERS: Final = 2
_log = logging.getLogger("digisom.disbursement")


class _Stopping(Exception):
    """Raised between batches when the process shuts down; the run resumes on the next start."""


@dataclass(frozen=True, slots=True)
class WorkerError:
    """Why a run's last execution stopped: a stable problem type and a detail safe to show
    (never Python's exception text; that goes to the log)."""

    type: str
    detail: str


@dataclass(frozen=True, slots=True)
class WorkerState:
    """Whether this process is executing a run, and why its last attempt stopped, if it failed."""

    running: bool
    error: WorkerError | None


class Executions:
    """Runs executing in background threads, at most one per run in this process.

    Another process may execute the same run at the same time: the domain makes them take
    turns on the run's lock and never pays twice. Stopping (shutdown) waits for the batch
    in flight and leaves the run `executing`, to be resumed by the next execution request.
    """

    def __init__(
        self, service: DisbursementService, batch_size: int = BATCH_EVENTS_MAX, workers: int = EXECUTION_WORKERS
    ) -> None:
        self._service = service
        self._batch_size = batch_size
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="disbursement")
        self._lock = threading.Lock()
        self._futures: dict[str, Future[Progress]] = {}
        self._stopping = threading.Event()

    def start(self, run_id: str) -> bool:
        """Start (or resume) executing `run_id`; False when this process is already at it."""
        with self._lock:
            if self._stopping.is_set():
                raise ApiProblem(503, "unavailable", "The service cannot take this request now", "shutting down")
            running = self._futures.get(run_id)
            if running is not None and not running.done():
                return False
            self._futures[run_id] = self._pool.submit(self._execute, run_id)
            return True

    def state(self, run_id: str) -> WorkerState:
        """This process's worker for `run_id`."""
        with self._lock:
            future = self._futures.get(run_id)
        if future is None:
            return WorkerState(False, None)
        if not future.done():
            return WorkerState(True, None)
        if future.cancelled():  # queued when the process began shutting down
            return WorkerState(False, None)
        error = future.exception()
        if error is None or isinstance(error, _Stopping):
            return WorkerState(False, None)
        return WorkerState(False, WorkerError(*worker_problem(error)))

    def wait(self, run_id: str, timeout_s: float | None = None) -> None:
        """Block until this process's worker for `run_id` finished (tests, the CLI)."""
        with self._lock:
            future = self._futures.get(run_id)
        if future is not None:
            future.exception(timeout=timeout_s)

    def close(self) -> None:
        """Stop after each worker's current batch, and wait for them."""
        self._stopping.set()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _execute(self, run_id: str) -> Progress:
        def between_batches(_progress: Progress) -> None:
            if self._stopping.is_set():
                raise _Stopping(run_id)

        try:
            return self._service.execute(run_id, self._batch_size, on_batch=between_batches)
        except _Stopping:
            raise
        except DomainError as refused:
            _log.warning("disbursement run %s refused: %s", run_id, refused)
            raise
        except Exception:
            _log.exception("disbursement run %s stopped", run_id)
            raise


@dataclass(frozen=True)
class DisbursementRuntime:
    """The disbursement and tax services of one process, and its execution worker."""

    engine: Engine
    service: DisbursementService
    taxes: TaxService
    tax_revenue_account: int | None  # without one, tax payments are refused (receipts still read)
    executions: Executions
    gateway: LedgerGateway  # the domain's only way to the ledger

    def start_execution(self, run_id: str) -> bool:
        """Start (or resume) paying an approved run in the background; False when there is
        nothing to start (the run is completed). An uploaded run is `WrongState`: another
        operator must approve it first. The API's execution route and the console call this."""
        run = self.service.run(run_id)
        if run.status is RunStatus.COMPLETED:
            return False
        if run.status is RunStatus.UPLOADED:
            raise WrongState(f"run {run_id} is uploaded; another operator must approve it first")
        self.executions.start(run_id)
        return True

    def close(self) -> None:
        """Stop the execution worker (idempotent)."""
        self.executions.close()
