"""How the disbursement domain's refusals are shown: one table of problem types, used by
the routes (problem+json) and by the execution worker (`worker_error` of a run), so a
client branches on the same stable `type` whichever way it learnt of a refusal."""

from __future__ import annotations

from typing import Final

from digisom.api.problems import PROBLEM_BASE
from digisom.disbursement.model import (
    AlreadyExists,
    DisbursementError,
    DualControl,
    InvalidInput,
    KeyReused,
    NotFound,
    OverBudget,
    ReturnRefused,
    SourceWalletRefused,
    WrongState,
)
from digisom.disbursement.taxes import InvalidReference, PaymentRefused
from digisom.errors import DigisomError
from digisom.kernel.gateway import DebitNotAllowed

# (error class, HTTP status, problem slug, title): the first class the error is an instance of wins.
PROBLEM_STATUS: Final[tuple[tuple[type[DigisomError], int, str, str], ...]] = (
    (NotFound, 404, "not-found", "Not found"),
    (AlreadyExists, 409, "conflict", "Conflict with the resource's state"),
    (DualControl, 403, "dual-control", "Another operator must approve this run"),
    (WrongState, 409, "wrong-state", "The run is not in a state that allows this"),
    (KeyReused, 422, "idempotency-key-reused", "Idempotency key reused"),
    (InvalidReference, 422, "invalid-reference", "Invalid payment reference"),
    (PaymentRefused, 409, "payment-refused", "The ledger refused the payment"),
    (ReturnRefused, 409, "return-refused", "The ledger refused the return"),
    (OverBudget, 409, "over-budget", "The budget line does not cover it"),
    (SourceWalletRefused, 422, "source-wallet-refused",
     "A programme pays only from an active wallet of the treasury or a ministry"),
    (DebitNotAllowed, 409, "debit-not-allowed", "The chart of accounts does not allow this debit"),
    (InvalidInput, 422, "invalid-request", "The request is not valid"),
    (DisbursementError, 422, "invalid-request", "The request is not valid"),
)
# What a run's worker shows when it stopped on anything else (the log has the exception).
EXECUTION_FAILED: Final = ("execution-failed", "the run stopped on an internal error; it resumes on the next "
                           "execution request")


def problem_of(error: DigisomError) -> tuple[int, str, str]:
    """(status, slug, title) of a refusal."""
    return next((status, slug, title) for kind, status, slug, title in PROBLEM_STATUS if isinstance(error, kind))


def worker_problem(error: BaseException) -> tuple[str, str]:
    """(problem type URI, safe detail) of the error a run's execution stopped on: a domain
    refusal's own message (written by this project, naming no internals), else a fixed text."""
    if isinstance(error, DigisomError) and any(isinstance(error, kind) for kind, *_ in PROBLEM_STATUS):
        return PROBLEM_BASE + problem_of(error)[1], str(error)
    slug, detail = EXECUTION_FAILED
    return PROBLEM_BASE + slug, detail
