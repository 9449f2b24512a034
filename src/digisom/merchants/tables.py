"""Merchant invoices' tables (SQLAlchemy Core): invoices, the confirmed payments to their
addresses, the on-chain moves out of them (sweeps, refunds, submitted authorizations) and
the chain follower's cursor.

Checked twice: the service keeps the amounts and states consistent, and the CHECKs hold
what must never be stored (a non-positive price, an unknown state, a settled invoice
without a credit, token amounts that are not decimal text). Token amounts are decimal
text: a uint256 does not fit SQL's BIGINT."""

from __future__ import annotations

from typing import Final

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, Integer, MetaData, String, Table, UniqueConstraint

metadata: Final = MetaData()

ID_CHARS_MAX: Final = 64
ADDRESS_CHARS: Final = 42
HASH_CHARS: Final = 66
UNITS_CHARS_MAX: Final = 78  # 2**256 has 78 digits
TEXT_CHARS_MAX: Final = 500
SIGNATURE_CHARS: Final = 132

_STATUSES: Final = ("open", "underpaid", "paid", "settling", "settled", "expired", "refund_due", "refunding",
                    "refunded", "stopped", "failed")
_IN_STATUSES: Final = ", ".join(f"'{s}'" for s in _STATUSES)

invoices: Final = Table(
    "merchant_invoices",
    metadata,
    Column("invoice_id", String(ID_CHARS_MAX), primary_key=True),
    Column("merchant_id", String(ID_CHARS_MAX), nullable=False),
    Column("idempotency_key", String(ID_CHARS_MAX), nullable=False),
    Column("wallet_id", String(ID_CHARS_MAX), nullable=False),
    Column("bank_code", String(ID_CHARS_MAX), nullable=False, index=True),
    Column("amount_tyiyn", BigInteger, nullable=False),
    Column("asset", String(8), nullable=False),
    Column("chain_id", BigInteger, nullable=False),
    Column("token_address", String(ADDRESS_CHARS), nullable=False),
    Column("pay_address", String(ADDRESS_CHARS), nullable=False, unique=True),
    Column("pay_units", String(UNITS_CHARS_MAX), nullable=False),
    Column("decimals", Integer, nullable=False),
    Column("rate_som_e6", BigInteger, nullable=True),
    Column("description", String(TEXT_CHARS_MAX), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("reason", String(TEXT_CHARS_MAX), nullable=False),
    Column("settled_tyiyn", BigInteger, nullable=False),
    Column("updated_at", String(32), nullable=False),
    UniqueConstraint("merchant_id", "idempotency_key", name="merchant_invoices_idempotency"),
    CheckConstraint("amount_tyiyn > 0", name="merchant_invoices_amount"),
    CheckConstraint("asset IN ('KGST', 'USDKG')", name="merchant_invoices_asset"),
    CheckConstraint(f"status IN ({_IN_STATUSES})", name="merchant_invoices_status"),
    # Settled means credited exactly the price; nothing else is ever credited.
    CheckConstraint("(status = 'settled' AND settled_tyiyn = amount_tyiyn) OR "
                    "(status <> 'settled' AND settled_tyiyn = 0)", name="merchant_invoices_settled"),
    CheckConstraint("asset = 'KGST' OR rate_som_e6 > 0", name="merchant_invoices_rate"),
    CheckConstraint("length(pay_units) BETWEEN 1 AND 78", name="merchant_invoices_pay_units"),
    Index("ix_merchant_invoices_status_expires", "status", "expires_at"),  # the worker's expiry sweep
)

payments: Final = Table(
    "merchant_payments",
    metadata,
    Column("chain_id", BigInteger, primary_key=True, autoincrement=False),
    Column("tx_hash", String(HASH_CHARS), primary_key=True),
    Column("log_index", Integer, primary_key=True, autoincrement=False),
    Column("invoice_id", String(ID_CHARS_MAX), nullable=False, index=True),
    Column("block_number", BigInteger, nullable=False),
    Column("sender", String(ADDRESS_CHARS), nullable=False),
    Column("amount_units", String(UNITS_CHARS_MAX), nullable=False),
    Column("seen_at", String(32), nullable=False),
    Column("late", Integer, nullable=False),
    Column("screening", String(8), nullable=False),
    Column("reason", String(TEXT_CHARS_MAX), nullable=False),
    CheckConstraint("late IN (0, 1)", name="merchant_payments_late"),
    CheckConstraint("screening IN ('', 'clear', 'hit', 'review')", name="merchant_payments_screening"),
    CheckConstraint("length(amount_units) BETWEEN 1 AND 78", name="merchant_payments_amount"),
)

moves: Final = Table(
    "merchant_moves",
    metadata,
    Column("move_id", String(200), primary_key=True),
    Column("invoice_id", String(ID_CHARS_MAX), nullable=False, index=True),
    Column("kind", String(8), nullable=False),
    Column("source", String(ADDRESS_CHARS), nullable=False),
    Column("to_address", String(ADDRESS_CHARS), nullable=False),
    Column("amount_units", String(UNITS_CHARS_MAX), nullable=False),
    Column("nonce", String(HASH_CHARS), nullable=False),
    Column("valid_after", String(UNITS_CHARS_MAX), nullable=False),
    Column("valid_before", String(UNITS_CHARS_MAX), nullable=False),
    Column("signature", String(SIGNATURE_CHARS), nullable=False),
    Column("state", String(10), nullable=False, index=True),  # the worker's moves on their way
    Column("tx_hash", String(HASH_CHARS), nullable=False),
    Column("reason", String(TEXT_CHARS_MAX), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    # One authorization nonce per signer: the token refuses a second use on chain too.
    UniqueConstraint("source", "nonce", name="merchant_moves_nonce"),
    CheckConstraint("kind IN ('sweep', 'refund', 'payer')", name="merchant_moves_kind"),
    CheckConstraint("state IN ('signed', 'sent', 'confirmed', 'failed')", name="merchant_moves_state"),
)

cursor_blocks: Final = Table(
    "merchant_cursor_blocks",
    metadata,
    Column("token", String(ID_CHARS_MAX), primary_key=True),
    Column("number", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(HASH_CHARS), nullable=False),
    Column("parent_hash", String(HASH_CHARS), nullable=False),
)
