"""Request and response bodies of /v1/disbursement, /v1/taxes and /v1/public/spending.
Amounts are strings of integer tyiyn beside the currency, as everywhere in the API."""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import BaseModel, Field

from digisom.disbursement.http.executions import WorkerState
from digisom.disbursement.model import FileFormat, PaymentStatus, Programme, Repayment, Return, Run, RunStatus
from digisom.disbursement.spending import SpendingCell, StatusTotal
from digisom.disbursement.taxes import Receipt
from digisom.http import fields

PROGRAMME_ID_PATTERN: Final = r"^[a-z0-9][a-z0-9-]{0,63}$"
BENEFIT_SCHEME_PATTERN: Final = r"^(b[a-z2-7]{24})?$"
RUN_ID_PATTERN: Final = r"^run_[0-9a-f]{30}$"
RECEIPT_ID_PATTERN: Final = r"^tax_[0-9a-f]{30}$"
PERIOD_PATTERN: Final = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
# A budget may be zero (a programme announced before its money); 10^15 tyiyn bounds it.
BudgetTyiyn = Annotated[
    str, Field(pattern=rf"^(0|[1-9][0-9]{{0,{fields.AMOUNT_DIGITS_MAX - 1}}})$", examples=["500000000"])
]


class ProgrammeIn(fields.Input):
    """A programme paying from a wallet of the treasury or a ministry, named by its wallet id."""

    id: Annotated[str, Field(pattern=PROGRAMME_ID_PATTERN, examples=["pensions"])]
    name: Annotated[fields.PlainText, Field(min_length=1, max_length=200)]
    source_wallet_id: Annotated[fields.WalletId, Field(description=(
        "The wallet it pays from: an active wallet of the treasury or a ministry, checked at creation and "
        "before each batch a run pays."))]
    budget_tyiyn: BudgetTyiyn
    currency: fields.Currency
    benefit_scheme: Annotated[str, Field(pattern=BENEFIT_SCHEME_PATTERN, description=(
        "A purpose-bound benefit scheme (/v1/benefit-schemes): wallets are paid to its benefit account, "
        "bank accounts not at all (unclaimed). Empty: cash."))] = ""


class ProgrammeOut(BaseModel):
    """A programme and what remains on its budget line."""

    id: str
    name: str
    source_wallet_id: str
    ledger_account_id: str = Field(description="The source wallet's ledger account (u128, decimal).")
    budget_tyiyn: str
    remaining_tyiyn: str
    benefit_scheme: str
    currency: fields.Currency = "KGS"


class UploadFingerprint(BaseModel):
    """What an upload asks, for the idempotency check (the file by its digest)."""

    period: str
    file_format: FileFormat
    file_sha256: str


class RunOut(BaseModel):
    """A run: one uploaded file for (programme, period)."""

    id: str
    programme_id: str
    period: str
    status: RunStatus
    uploaded_by: str
    approved_by: str | None
    rows: int
    total_tyiyn: str
    batches_done: int
    currency: fields.Currency = "KGS"


class StatusTotalOut(BaseModel):
    """How many payments have a status, and their tyiyn."""

    count: int
    amount_tyiyn: str


class RunDetailOut(RunOut):
    """A run with its payments by status and this process's execution worker. When the
    worker's last attempt stopped, `worker_error` is a stable problem type (e.g.
    `.../source-wallet-refused`) and `worker_error_detail` says why in words."""

    payments: dict[PaymentStatus, StatusTotalOut]
    worker_running: bool
    worker_error: str | None
    worker_error_detail: str | None = None


class ReturnIn(fields.Input):
    """A paid payment the bank could not credit (account closed, name mismatch)."""

    pin: Annotated[str, Field(pattern=r"^[0-9]{14}$", description="The recipient's personal number.")]
    reason: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[ -~]+$",
                                 examples=["account_closed"])]


class ReturnOut(BaseModel):
    """A return: the payment that came back and the ledger transfer that took it back."""

    id: str
    run_id: str
    pin: str
    attempt: int
    amount_tyiyn: str
    reason: str
    returned_transfer_id: str
    transfer_id: str
    currency: fields.Currency = "KGS"


class RepaymentOut(BaseModel):
    """A re-payment: recipients given a new attempt, their total, and the run afterwards."""

    id: str
    run_id: str
    recipients: int
    total_tyiyn: str
    run_status: RunStatus
    currency: fields.Currency = "KGS"


class TaxIn(fields.Input):
    """A tax or fee paid from a wallet against the tax office's ISO 11649 reference."""

    wallet_id: fields.WalletId
    reference: Annotated[str, Field(min_length=5, max_length=35, pattern=r"^[Rr][Ff][0-9A-Za-z ]{3,33}$",
                                    examples=["RF18539007547034"])]
    amount_tyiyn: fields.AmountTyiyn
    currency: fields.Currency


class ReceiptOut(BaseModel):
    """Proof of a tax payment."""

    receipt_id: str
    reference: str
    payer_account_id: str
    amount_tyiyn: str
    currency: fields.Currency
    transfer_id: str
    paid_at: str


class SpendingCellOut(BaseModel):
    """One programme's spending in one region and period; no figures when suppressed."""

    programme_id: str
    period: str
    region: str
    suppressed: bool
    payees: int | None
    paid_tyiyn: str | None


class SpendingPage(BaseModel):
    """A page of spending cells, and the suppression threshold in force."""

    items: list[SpendingCellOut]
    next_cursor: str | None
    min_payees_per_cell: int
    currency: fields.Currency = "KGS"


def programme_out(p: Programme) -> ProgrammeOut:
    """The API form of a programme."""
    return ProgrammeOut(id=p.id, name=p.name, source_wallet_id=p.source_wallet_id,
                        ledger_account_id=str(p.ledger_account_id),
                        budget_tyiyn=str(p.budget_tyiyn), remaining_tyiyn=str(p.remaining_tyiyn),
                        benefit_scheme=p.benefit_scheme)


def run_fields(r: Run) -> dict[str, object]:
    """The fields of `RunOut` for a run."""
    return {"id": r.id, "programme_id": r.programme_id, "period": r.period, "status": r.status,
            "uploaded_by": r.uploaded_by, "approved_by": r.approved_by, "rows": r.rows,
            "total_tyiyn": str(r.total_tyiyn), "batches_done": r.batches_done}


def run_out(r: Run) -> RunOut:
    """The API form of a run."""
    return RunOut.model_validate(run_fields(r))


def run_detail_out(r: Run, totals: dict[PaymentStatus, StatusTotal], worker: WorkerState) -> RunDetailOut:
    """A run with its payments by status and the worker's state."""
    payments = {status: StatusTotalOut(count=t.count, amount_tyiyn=str(t.amount_tyiyn)) for status, t in totals.items()}
    error = worker.error
    return RunDetailOut.model_validate(
        {**run_fields(r), "payments": payments, "worker_running": worker.running,
         "worker_error": None if error is None else error.type,
         "worker_error_detail": None if error is None else error.detail})


def receipt_out(r: Receipt) -> ReceiptOut:
    """The API form of a receipt; the transfer id in hex, as the reconciliation shows it."""
    return ReceiptOut(receipt_id=r.receipt_id, reference=r.reference, payer_account_id=str(r.payer_account_id),
                      amount_tyiyn=str(r.amount_tyiyn), currency="KGS", transfer_id=f"{r.transfer_id:032x}",
                      paid_at=r.paid_at)


def spending_cell_out(c: SpendingCell) -> SpendingCellOut:
    """The API form of a spending cell."""
    return SpendingCellOut(programme_id=c.programme_id, period=c.period, region=c.region, suppressed=c.suppressed,
                           payees=c.payees, paid_tyiyn=None if c.paid_tyiyn is None else str(c.paid_tyiyn))


def return_out(r: Return) -> ReturnOut:
    """The API form of a return."""
    return ReturnOut(id=r.id, run_id=r.run_id, pin=r.pin, attempt=r.attempt, amount_tyiyn=str(r.amount_tyiyn),
                     reason=r.reason, returned_transfer_id=r.returned_transfer_id, transfer_id=r.transfer_id)


def repayment_out(r: Repayment) -> RepaymentOut:
    """The API form of a re-payment."""
    return RepaymentOut(id=r.id, run_id=r.run_id, recipients=r.recipients, total_tyiyn=str(r.total_tyiyn),
                        run_status=r.progress.status)
