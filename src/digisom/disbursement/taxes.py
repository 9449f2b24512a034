"""Taxes and fees paid to the treasury in digital som, with a validated payment
reference and a receipt.

The reference is an ISO 11649 creditor reference (`RF` + two check digits + up to 21
letters or digits), which the tax office issues with each assessment; a mistyped
reference fails its mod-97 check and is refused before any money moves. Each payment is
one ledger transfer (payer's account -> the treasury's revenue account) whose id derives
from the payer's idempotency key, so a retried request pays once and gets the same receipt.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import IntEnum
from typing import Final

from sqlalchemy import Engine, RowMapping, select
from sqlalchemy.exc import IntegrityError

from digisom.disbursement import tables
from digisom.disbursement.model import DisbursementError, InvalidInput
from digisom.disbursement.ports import TransferSink
from digisom.kernel.db_errors import reraise_unless_unique
from digisom.kernel.errors import Invalid, Refused
from digisom.kernel.ids import ledger_id
from digisom.kernel.results import TRANSFER_OK as _OK
from digisom.ledger.model import Transfer
from digisom.money import KGS

REFERENCE_BODY_CHARS_MAX: Final = 21  # ISO 11649
IDEMPOTENCY_KEY_CHARS_MAX: Final = 128
# A single tax payment above 1,000,000,000 som is refused as a likely typo.
TAX_AMOUNT_TYIYN_MAX: Final = 1_000_000_000_00
_REFERENCE: Final = re.compile(rf"^RF(\d{{2}})([0-9A-Z]{{1,{REFERENCE_BODY_CHARS_MAX}}})$")
_TRANSFER_ID_DOMAIN: Final = b"digisom/taxes/v1"


class TaxTransferCode(IntEnum):
    """The ledger transfer code of a tax or fee payment."""

    TAX = 31


class InvalidReference(DisbursementError, Invalid):
    """The payment reference is malformed or fails its check digits."""

    slug = "invalid-reference"
    title = "Invalid payment reference"


class PaymentRefused(DisbursementError, Refused):
    """The ledger refused the payment; `result` is its result code's name."""

    slug = "payment-refused"
    title = "The ledger refused the payment"

    def __init__(self, message: str, result: str) -> None:
        super().__init__(message, result=result)
        self.result = result


@dataclass(frozen=True, slots=True)
class Receipt:
    """Proof of a tax payment: what was paid, against which reference, by which transfer."""

    receipt_id: str
    reference: str
    payer_account_id: int
    amount_tyiyn: int
    transfer_id: int
    paid_at: str
    currency: str = KGS.code


def _mod97(text: str) -> int:
    return int("".join(str(int(c, 36)) for c in text)) % 97


def is_valid_reference(reference: str) -> bool:
    """True when `reference` is a well-formed ISO 11649 reference with correct check digits."""
    match = _REFERENCE.match(reference)
    return match is not None and _mod97(match.group(2) + "RF" + match.group(1)) == 1


def make_reference(body: str) -> str:
    """The ISO 11649 reference for `body` (1 to 21 letters or digits), check digits computed."""
    body = body.upper()
    if not re.fullmatch(rf"[0-9A-Z]{{1,{REFERENCE_BODY_CHARS_MAX}}}", body):
        raise InvalidReference(f"a reference body is 1 to {REFERENCE_BODY_CHARS_MAX} letters or digits")
    return f"RF{98 - _mod97(body + 'RF00'):02d}{body}"


def _now() -> str:
    return datetime.now(UTC).isoformat()


class TaxService:
    """Takes tax and fee payments into the treasury's revenue account."""

    def __init__(
        self, engine: Engine, ledger: TransferSink, revenue_account_id: int, clock: Callable[[], str] = _now
    ) -> None:
        self._engine = engine
        self._ledger = ledger
        self._revenue_account_id = revenue_account_id
        self._clock = clock

    def pay(
        self, payer: str, idempotency_key: str, payer_account_id: int, reference: str, amount_tyiyn: int
    ) -> Receipt:
        """Pay `amount_tyiyn` against `reference` from `payer_account_id`; the receipt.

        The same payer and key again return the same receipt. If the ledger refused the
        payment (e.g. not enough funds), the key is spent: retry with a new one.
        """
        if not payer or len(payer) > tables.OPERATOR_CHARS_MAX:
            raise InvalidInput(f"a payer is named by 1 to {tables.OPERATOR_CHARS_MAX} characters")
        if not idempotency_key or len(idempotency_key) > IDEMPOTENCY_KEY_CHARS_MAX:
            raise InvalidInput(f"an idempotency key is 1 to {IDEMPOTENCY_KEY_CHARS_MAX} characters")
        reference = reference.replace(" ", "").upper()
        if not is_valid_reference(reference):
            raise InvalidReference("the payment reference is malformed or its check digits are wrong")
        if type(amount_tyiyn) is not int or not 0 < amount_tyiyn <= TAX_AMOUNT_TYIYN_MAX:
            raise InvalidInput(f"an amount is 1 to {TAX_AMOUNT_TYIYN_MAX} tyiyn")
        operation = f"{payer}\x1f{idempotency_key}"
        existing = self._find(operation)
        if existing is not None:
            return existing
        transfer = Transfer(
            id=_transfer_id(operation),
            debit_account_id=payer_account_id,
            credit_account_id=self._revenue_account_id,
            amount=amount_tyiyn,
            ledger=KGS.numeric,
            code=int(TaxTransferCode.TAX),
        )
        (result,) = self._ledger.create_transfers([transfer])
        if result not in _OK:
            raise PaymentRefused(f"the ledger refused the payment: {result.name}", result.name)
        receipt_id = "tax_" + hashlib.blake2b(operation.encode(), digest_size=15).hexdigest()
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    tables.tax_payments.insert().values(
                        id=receipt_id,
                        operation_id=operation,
                        reference=reference,
                        payer_account_id=str(payer_account_id),
                        amount_tyiyn=amount_tyiyn,
                        transfer_id=f"{transfer.id:032x}",
                        paid_at=self._clock(),
                    )
                )
        except IntegrityError as error:
            reraise_unless_unique(error)  # else the same request, recorded by a concurrent retry
        found = self._find(operation)
        if found is None:
            raise InvalidInput("the payment was made but its receipt could not be recorded; retry")
        return found

    def receipt(self, receipt_id: str) -> Receipt | None:
        """A receipt by its id."""
        with self._engine.connect() as conn:
            row = conn.execute(select(tables.tax_payments).where(tables.tax_payments.c.id == receipt_id)).mappings()
            first = row.first()
        return _receipt(first) if first is not None else None

    def _find(self, operation: str) -> Receipt | None:
        with self._engine.connect() as conn:
            row = (
                conn.execute(select(tables.tax_payments).where(tables.tax_payments.c.operation_id == operation))
                .mappings()
                .first()
            )
        return _receipt(row) if row is not None else None


def _transfer_id(operation: str) -> int:
    return ledger_id(hashlib.blake2b(operation.encode(), digest_size=16, key=_TRANSFER_ID_DOMAIN).digest())


def _receipt(row: RowMapping) -> Receipt:
    return Receipt(
        row["id"],
        row["reference"],
        int(row["payer_account_id"]),
        row["amount_tyiyn"],
        int(row["transfer_id"], 16),
        row["paid_at"],
    )
