"""The disbursement domain's records and typed errors."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Final

from digisom.errors import DigisomError
from digisom.ledger.model import U128_MAX

# Periods are calendar months ("2026-11"); a programme pays each recipient once per period.
PERIOD_PATTERN: Final = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_TRANSFER_ID_DOMAIN: Final = b"digisom/disbursement/v1"
_TRANSFER_ID_KEYED: Final = hashlib.blake2b(digest_size=16, key=_TRANSFER_ID_DOMAIN)


class TransferCode(IntEnum):
    """The ledger transfer code (`Transfer.code`) of this domain's transfers; clear of cbdc's 1-19."""

    DISBURSEMENT = 30


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


@dataclass(frozen=True, slots=True)
class Programme:
    """A programme (pensions, child benefit, ...) and its budget line."""

    id: str
    name: str
    ledger_account_id: int
    budget_tyiyn: int
    remaining_tyiyn: int


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


class DisbursementError(DigisomError):
    """Base of this domain's refusals."""


class NotFound(DisbursementError):
    """No such programme or run."""


class AlreadyExists(DisbursementError):
    """A programme with this id exists."""


class InvalidInput(DisbursementError):
    """A bad argument (period, budget, operator)."""


class KeyReused(DisbursementError):
    """An idempotency key already named a different file."""


class DualControl(DisbursementError):
    """The operator who uploaded a run may not approve it."""


class WrongState(DisbursementError):
    """The run is not in a state that allows this (e.g. executing an unapproved run)."""


def transfer_id(programme_id: str, period: str, pin: str) -> int:
    """The ledger transfer id of one recipient's payment: the same (programme, period, PIN)
    always names the same transfer, so a resumed run gets `exists`, never a second payment."""
    keyed = _TRANSFER_ID_KEYED.copy()  # a third of the cost of keying a new hash, per payee
    keyed.update(f"{programme_id}\x1f{period}\x1f{pin}".encode())
    value = int.from_bytes(keyed.digest(), "big")
    # 0 and U128_MAX are reserved by the ledger; a collision with them is ~2^-127.
    return value if 0 < value < U128_MAX else 1
