"""The disbursement domain's own tables (SQLAlchemy Core), in the ledger's database.

Amounts are integer tyiyn (BigInteger); ledger ids are u128, stored as decimal (accounts)
or hex (transfers) strings. Rules that must hold whatever the code does are constraints:
a budget line never goes below zero, the approver of a run is never its uploader, and
one recipient is paid at most once per programme and period
(`disbursement_payments_once_per_period`).

Migration 1 creates `metadata` as it stands, so a new database gets the current shape at
once; migration 3 brings a database created before it to the same shape (see
`migrations`).
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
)

metadata: Final = MetaData()

ID_CHARS_MAX: Final = 64
TEXT_CHARS_MAX: Final = 200
OPERATOR_CHARS_MAX: Final = 128
PERIOD_CHARS_MAX: Final = 16
ISO_TIME_CHARS: Final = 32
U128_DECIMAL_CHARS: Final = 39
U128_HEX_CHARS: Final = 32
REASON_CHARS_MAX: Final = 64
PIN_CHARS: Final = 14
REGION_CHARS_MAX: Final = 64

PAYMENTS_STATUS_CHECK: Final = "status IN ('pending', 'paid', 'unclaimed', 'rejected', 'returned')"

programmes: Final = Table(
    "disbursement_programmes",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(ID_CHARS_MAX), nullable=False, unique=True),
    Column("name", String(TEXT_CHARS_MAX), nullable=False),
    # The ledger account of `source_wallet_id`, which this programme pays from.
    Column("ledger_account_id", String(U128_DECIMAL_CHARS), nullable=False),
    Column("budget_tyiyn", BigInteger, nullable=False),
    Column("remaining_tyiyn", BigInteger, nullable=False),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    # A purpose-bound benefit scheme of the digital som domain; "" pays ordinary cash (migration 3).
    Column("benefit_scheme", String(ID_CHARS_MAX), nullable=False, server_default=""),
    # The government wallet it pays from (migration 5); "" for a programme created before
    # it, which names no wallet and so cannot pay (the service refuses it at execution).
    Column("source_wallet_id", String(ID_CHARS_MAX), nullable=False, server_default=""),
    CheckConstraint("budget_tyiyn >= 0", name="disbursement_programmes_budget"),
    CheckConstraint(
        "remaining_tyiyn >= 0 AND remaining_tyiyn <= budget_tyiyn", name="disbursement_programmes_remaining"
    ),
)

runs: Final = Table(
    "disbursement_runs",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(ID_CHARS_MAX), nullable=False, unique=True),
    Column("programme_id", String(ID_CHARS_MAX), ForeignKey("disbursement_programmes.id"), nullable=False),
    Column("period", String(PERIOD_CHARS_MAX), nullable=False),
    Column("status", String(16), nullable=False),
    Column("uploaded_by", String(OPERATOR_CHARS_MAX), nullable=False),
    Column("approved_by", String(OPERATOR_CHARS_MAX)),
    Column("rows", Integer, nullable=False),
    Column("total_tyiyn", BigInteger, nullable=False),
    Column("batches_done", Integer, nullable=False, default=0),
    # The uploaded file's digest: an idempotency key reused with another file is refused.
    Column("file_sha256", String(64), nullable=False),
    Column("uploaded_at", String(ISO_TIME_CHARS), nullable=False),
    Column("approved_at", String(ISO_TIME_CHARS)),
    Column("completed_at", String(ISO_TIME_CHARS)),
    CheckConstraint("status IN ('uploaded', 'approved', 'executing', 'completed')", name="disbursement_runs_status"),
    # Dual control, enforced by the database as well as by the service.
    CheckConstraint("approved_by IS NULL OR approved_by <> uploaded_by", name="disbursement_runs_dual_control"),
    CheckConstraint("total_tyiyn > 0 AND rows > 0", name="disbursement_runs_total"),
)

payments: Final = Table(
    "disbursement_payments",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(ID_CHARS_MAX), ForeignKey("disbursement_runs.id"), nullable=False),
    Column("programme_id", String(ID_CHARS_MAX), nullable=False),
    Column("period", String(PERIOD_CHARS_MAX), nullable=False),
    Column("pin", String(PIN_CHARS), nullable=False),
    Column("line", Integer, nullable=False),
    Column("amount_tyiyn", BigInteger, nullable=False),
    Column("name", String(TEXT_CHARS_MAX), nullable=False),
    Column("region", String(REGION_CHARS_MAX), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("account_id", String(U128_DECIMAL_CHARS), nullable=False),
    Column("transfer_id", String(U128_HEX_CHARS), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(REASON_CHARS_MAX), nullable=False, default=""),
    Column("batch", Integer),
    # Which attempt `transfer_id` is: 0 is the run's own payment, 1.. re-payments (migration 3).
    # One row per recipient and period holds the one current attempt, so at most one
    # attempt is ever outstanding; earlier ones were never paid, refused, or returned
    # (`disbursement_returns`, once per attempt).
    Column("attempt", Integer, nullable=False, server_default="0"),
    UniqueConstraint("programme_id", "period", "pin", name="disbursement_payments_once_per_period"),
    CheckConstraint("amount_tyiyn > 0", name="disbursement_payments_amount"),
    CheckConstraint(PAYMENTS_STATUS_CHECK, name="disbursement_payments_status"),
    CheckConstraint("attempt >= 0", name="disbursement_payments_attempt"),
    CheckConstraint("channel IN ('wallet', 'bank_account', 'none')", name="disbursement_payments_channel"),
    # Without `status`, so that marking a payment paid touches no index and PostgreSQL can
    # update the row in place (a HOT update, with the room that PAYMENTS_FILLFACTOR leaves).
    Index("disbursement_payments_by_run_line", "run_id", "line"),
)
# Per cent of each page filled at insert: every payment is updated once (pending -> paid).
PAYMENTS_FILLFACTOR: Final = 50

# A paid payment the receiving bank sent back (migration 3): one row per returned attempt.
returns: Final = Table(
    "disbursement_returns",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(ID_CHARS_MAX), nullable=False, unique=True),
    Column("payment_seq", Integer, ForeignKey("disbursement_payments.seq"), nullable=False),
    Column("run_id", String(ID_CHARS_MAX), nullable=False),
    Column("pin", String(PIN_CHARS), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("amount_tyiyn", BigInteger, nullable=False),
    Column("reason", String(REASON_CHARS_MAX), nullable=False),
    Column("returned_transfer_id", String(U128_HEX_CHARS), nullable=False),
    Column("transfer_id", String(U128_HEX_CHARS), nullable=False, unique=True),
    Column("recorded_by", String(OPERATOR_CHARS_MAX), nullable=False),
    Column("recorded_at", String(ISO_TIME_CHARS), nullable=False),
    UniqueConstraint("payment_seq", "attempt", name="disbursement_returns_once_per_attempt"),
    CheckConstraint("amount_tyiyn > 0", name="disbursement_returns_amount"),
    CheckConstraint("reason <> ''", name="disbursement_returns_reason"),
    Index("disbursement_returns_by_run", "run_id"),
)

# One `repay` request (migration 3): idempotent on (operator, key).
repayments: Final = Table(
    "disbursement_repayments",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(ID_CHARS_MAX), nullable=False, unique=True),
    Column("run_id", String(ID_CHARS_MAX), ForeignKey("disbursement_runs.id"), nullable=False),
    Column("requested_by", String(OPERATOR_CHARS_MAX), nullable=False),
    Column("recipients", Integer, nullable=False),
    Column("total_tyiyn", BigInteger, nullable=False),
    Column("requested_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("recipients >= 0 AND total_tyiyn >= 0", name="disbursement_repayments_totals"),
)

# Taxes and fees paid to the treasury (migration 2); one row per payer request.
tax_payments: Final = Table(
    "disbursement_tax_payments",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(ID_CHARS_MAX), nullable=False, unique=True),
    Column("operation_id", String(OPERATOR_CHARS_MAX + 1 + 128), nullable=False, unique=True),
    Column("reference", String(25), nullable=False, index=True),
    Column("payer_account_id", String(U128_DECIMAL_CHARS), nullable=False),
    Column("amount_tyiyn", BigInteger, nullable=False),
    Column("transfer_id", String(U128_HEX_CHARS), nullable=False, unique=True),
    Column("paid_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("amount_tyiyn > 0", name="disbursement_tax_payments_amount"),
)
