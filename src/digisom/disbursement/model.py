"""The disbursement domain's records and typed errors."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Final

from digisom.kernel import errors as kinds
from digisom.kernel.errors import Conflict, DomainError, Forbidden, Invalid, Refused
from digisom.kernel.ids import ledger_id

# Periods are calendar months ("2026-11"); a programme pays each recipient once per period.
PERIOD_PATTERN: Final = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_TRANSFER_ID_DOMAIN: Final = b"digisom/disbursement/v1"
_RETURN_ID_DOMAIN: Final = b"digisom/disbursement/return/v1"
_KEYED: Final = {key: hashlib.blake2b(digest_size=16, key=key) for key in (_TRANSFER_ID_DOMAIN, _RETURN_ID_DOMAIN)}


class TransferCode(IntEnum):
    """The ledger transfer code (`Transfer.code`) of this domain's transfers; clear of cbdc's 1-19."""

    DISBURSEMENT = 30
    # 31 is `digisom.disbursement.taxes.TaxTransferCode.TAX`.
    DISBURSEMENT_RETURN = 32  # a returned payment, back to the programme's treasury account
    # What exceeds the payee wallet's holding limit: the source wallet -> the payee bank's
    # float, and the bank's deposit funding -> the payee's linked deposit (`digisom.cbdc.credits`).
    DISBURSEMENT_WATERFALL = 33


class FileFormat(StrEnum):
    """The formats an operator may upload."""

    CSV = "csv"
    PAIN001 = "pain.001"


class RunStatus(StrEnum):
    """Where a run stands."""

    UPLOADED = "uploaded"
    APPROVED = "approved"
    EXECUTING = "executing"
    COMPLETED = "completed"


class PaymentStatus(StrEnum):
    """Where one recipient's payment stands."""

    PENDING = "pending"
    PAID = "paid"
    UNCLAIMED = "unclaimed"
    REJECTED = "rejected"
    RETURNED = "returned"  # paid, then sent back by the receiving bank (migration 3)


# Payments `repay` tries again: never paid, refused by the ledger, or paid and sent back.
REPAYABLE: Final = frozenset({PaymentStatus.UNCLAIMED, PaymentStatus.REJECTED, PaymentStatus.RETURNED})


@dataclass(frozen=True, slots=True)
class Programme:
    """A programme (pensions, child benefit, ...) and its budget line."""

    id: str
    name: str
    ledger_account_id: int
    budget_tyiyn: int
    remaining_tyiyn: int
    # A purpose-bound benefit scheme of the digital som domain ("" = ordinary cash): the
    # directory then resolves wallet holders to their benefit account of that scheme.
    benefit_scheme: str = ""
    # The government wallet it pays from (`ledger_account_id` is its ledger account);
    # "" for a programme created before migration 5, which cannot pay until re-created.
    source_wallet_id: str = ""


@dataclass(frozen=True, slots=True)
class Run:
    """One upload for (programme, period)."""

    id: str
    programme_id: str
    period: str
    status: RunStatus
    uploaded_by: str
    approved_by: str | None
    rows: int
    total_tyiyn: int
    batches_done: int


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a run has got: counts of payments by status and the tyiyn paid."""

    run_id: str
    status: RunStatus
    rows: int
    pending: int
    paid: int
    unclaimed: int
    rejected: int
    paid_tyiyn: int
    batches_done: int
    returned: int = 0


@dataclass(frozen=True, slots=True)
class Return:
    """A paid payment sent back by the receiving bank, and the ledger transfer that took it
    back to the programme's treasury account."""

    id: str
    run_id: str
    pin: str
    attempt: int  # which payment attempt came back (0 = the run's own payment)
    amount_tyiyn: int
    reason: str
    returned_transfer_id: str  # hex: the payment that came back
    transfer_id: str  # hex: the return transfer


@dataclass(frozen=True, slots=True)
class Repayment:
    """One `repay` request: how many recipients got a new attempt, for how much, and the
    run's progress once they were paid."""

    id: str
    run_id: str
    recipients: int
    total_tyiyn: int
    progress: Progress


class DisbursementError(DomainError):
    """Base of this domain's refusals; each class below is of one kind (`digisom.kernel.errors`)."""


class SourceRefusal(StrEnum):
    """Why a wallet may not fund a programme."""

    NOT_FOUND = "not_found"
    NOT_GOVERNMENT = "not_government"  # not a wallet of the treasury or a ministry
    FROZEN = "frozen"
    CLOSED = "closed"


class SourceWalletRefused(DisbursementError, Refused):
    """A programme pays only from an active wallet of the treasury or a ministry; this one is not."""

    slug = "source-wallet-refused"
    title = "A programme pays only from an active wallet of the treasury or a ministry"
    status = 422

    def __init__(self, message: str, reason: SourceRefusal) -> None:
        super().__init__(message, reason=reason.value)
        self.reason = reason


class NotFound(DisbursementError, kinds.NotFound):
    """No such programme or run."""


class AlreadyExists(DisbursementError, Conflict):
    """A programme with this id exists."""


class InvalidInput(DisbursementError, Invalid):
    """A bad argument (period, budget, operator)."""


class KeyReused(DisbursementError, Invalid):
    """An idempotency key already named a different file."""

    slug = "idempotency-key-reused"
    title = "Idempotency key reused"


class DualControl(DisbursementError, Forbidden):
    """The operator who uploaded a run may not approve it."""

    slug = "dual-control"
    title = "Another operator must approve this run"


class WrongState(DisbursementError, Conflict):
    """The run is not in a state that allows this (e.g. executing an unapproved run)."""

    slug = "wrong-state"
    title = "The run is not in a state that allows this"


class OverBudget(DisbursementError, Refused):
    """A re-payment would take more than remains on the budget line."""

    slug = "over-budget"
    title = "The budget line does not cover it"


class ReturnRefused(DisbursementError, Refused):
    """The ledger refused the return transfer (e.g. the account already spent the money)."""

    slug = "return-refused"
    title = "The ledger refused the return"


def transfer_id(programme_id: str, period: str, pin: str, attempt: int = 0) -> int:
    """The ledger transfer id of one recipient's payment: the same (programme, period, PIN,
    attempt) always names the same transfer, so a resumed run gets `exists`, never a second
    payment. Attempt 0 (the run's own payment) keeps the original derivation; a re-payment
    gets a fresh id per attempt, since the ledger remembers failed ids."""
    suffix = f"\x1f{attempt}" if attempt else ""
    return _derive(_TRANSFER_ID_DOMAIN, f"{programme_id}\x1f{period}\x1f{pin}{suffix}")


def return_transfer_id(programme_id: str, period: str, pin: str, attempt: int) -> int:
    """The ledger transfer id of the return of one payment attempt: at most one per attempt."""
    return _derive(_RETURN_ID_DOMAIN, f"{programme_id}\x1f{period}\x1f{pin}\x1f{attempt}")


def leg_transfer_id(payment_transfer_id: int, index: int) -> int:
    """The id of a payment's further transfer (`index` >= 1: its waterfall's legs)."""
    return _derive(_TRANSFER_ID_DOMAIN, f"{payment_transfer_id:032x}\x1fleg\x1f{index}")


def _derive(key: bytes, text: str) -> int:
    keyed = _KEYED[key].copy()  # a third of the cost of keying a new hash, per payee
    keyed.update(text.encode())
    return ledger_id(keyed.digest())
