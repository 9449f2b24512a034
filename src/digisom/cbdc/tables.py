"""The digital som's own tables (SQLAlchemy Core), in the ledger's database.

Every table has an integer `seq` (the order of creation, used by cursor pagination) and
a public string id. Amounts are integer tyiyn (BigInteger), never floats. Rules that
must hold whatever the code does are CHECK and UNIQUE constraints: a payment is never
refunded above its amount, and one idempotency key makes at most one operation.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata: Final = MetaData()

ID_CHARS_MAX: Final = 64
# operation ids are "<principal>|<idempotency key>"; both parts are bounded at the API.
OPERATION_ID_CHARS_MAX: Final = 400
TEXT_CHARS_MAX: Final = 200
ISO_TIME_CHARS: Final = 32


def _seq() -> Column[int]:
    return Column("seq", Integer, primary_key=True, autoincrement=True)


participants: Final = Table(
    "cbdc_participants",
    metadata,
    _seq(),
    Column("id", String(ID_CHARS_MAX), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("name", String(TEXT_CHARS_MAX), nullable=False),
    Column("bank_code", String(16), unique=True),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
)

wallets: Final = Table(
    "cbdc_wallets",
    metadata,
    _seq(),
    Column("id", String(ID_CHARS_MAX), nullable=False, unique=True),
    Column("operation_id", String(OPERATION_ID_CHARS_MAX), nullable=False, unique=True),
    Column("bank_code", String(16), nullable=False, index=True),
    Column("holder_id", String(ID_CHARS_MAX), nullable=False),
    Column("holder_kind", String(16), nullable=False),
    Column("tier", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("merchant_name", String(32)),
    Column("merchant_city", String(32)),
    Column("mcc", String(4)),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("status IN ('active', 'frozen', 'closing', 'closed')", name="cbdc_wallets_status"),
    CheckConstraint("tier >= 0", name="cbdc_wallets_tier"),
)

# The identity stays with the bank: only that bank's operators read this table (the API
# enforces it; on PostgreSQL, grant it to the bank's role alone).
identities: Final = Table(
    "cbdc_identities",
    metadata,
    Column("wallet_id", String(ID_CHARS_MAX), ForeignKey("cbdc_wallets.id"), primary_key=True),
    Column("bank_code", String(16), nullable=False),
    Column("full_name", String(TEXT_CHARS_MAX), nullable=False),
    Column("phone", String(20), nullable=False),
    Column("pin_hash", String(128), nullable=False),
)

wallet_holds: Final = Table(
    "cbdc_wallet_holds",
    metadata,
    _seq(),
    Column("wallet_id", String(ID_CHARS_MAX), ForeignKey("cbdc_wallets.id"), nullable=False, index=True),
    Column("action", String(16), nullable=False),
    Column("reason", String(TEXT_CHARS_MAX), nullable=False),
    Column("legal_order_ref", String(ID_CHARS_MAX), nullable=False),
    Column("actor", String(TEXT_CHARS_MAX), nullable=False),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("action IN ('freeze', 'unfreeze')", name="cbdc_wallet_holds_action"),
)

payments: Final = Table(
    "cbdc_payments",
    metadata,
    _seq(),
    Column("id", String(ID_CHARS_MAX), nullable=False, unique=True),
    Column("operation_id", String(OPERATION_ID_CHARS_MAX), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("payer_wallet_id", String(ID_CHARS_MAX), ForeignKey("cbdc_wallets.id"), nullable=False, index=True),
    Column("payee_wallet_id", String(ID_CHARS_MAX), ForeignKey("cbdc_wallets.id"), nullable=False, index=True),
    Column("amount_tyiyn", BigInteger, nullable=False),
    Column("refunded_tyiyn", BigInteger, nullable=False, server_default="0"),
    Column("topup_tyiyn", BigInteger, nullable=False),
    Column("waterfall_tyiyn", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("failure", String(TEXT_CHARS_MAX)),
    Column("reference", String(TEXT_CHARS_MAX)),
    Column("refund_of", String(ID_CHARS_MAX)),
    Column("legs", Text, nullable=False),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("amount_tyiyn > 0", name="cbdc_payments_amount_positive"),
    # The refund rule in the database itself: never refunded above what was paid.
    CheckConstraint("refunded_tyiyn >= 0 AND refunded_tyiyn <= amount_tyiyn", name="cbdc_payments_refund_cap"),
    CheckConstraint("status IN ('pending', 'completed', 'failed')", name="cbdc_payments_status"),
)

refunds: Final = Table(
    "cbdc_refunds",
    metadata,
    _seq(),
    Column("id", String(ID_CHARS_MAX), nullable=False, unique=True),
    Column("operation_id", String(OPERATION_ID_CHARS_MAX), nullable=False, unique=True),
    Column("payment_id", String(ID_CHARS_MAX), ForeignKey("cbdc_payments.id"), nullable=False, index=True),
    Column("refund_payment_id", String(ID_CHARS_MAX), nullable=False, unique=True),
    Column("amount_tyiyn", BigInteger, nullable=False),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("amount_tyiyn > 0", name="cbdc_refunds_amount_positive"),
)

payment_requests: Final = Table(
    "cbdc_payment_requests",
    metadata,
    _seq(),
    Column("id", String(ID_CHARS_MAX), nullable=False, unique=True),
    Column("operation_id", String(OPERATION_ID_CHARS_MAX), nullable=False, unique=True),
    Column("payee_wallet_id", String(ID_CHARS_MAX), ForeignKey("cbdc_wallets.id"), nullable=False),
    Column("payer_wallet_id", String(ID_CHARS_MAX), ForeignKey("cbdc_wallets.id"), nullable=False, index=True),
    Column("amount_tyiyn", BigInteger, nullable=False),
    Column("message", String(TEXT_CHARS_MAX)),
    Column("status", String(16), nullable=False),
    Column("payment_id", String(ID_CHARS_MAX)),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("amount_tyiyn > 0", name="cbdc_payment_requests_amount_positive"),
    CheckConstraint("status IN ('open', 'paid', 'declined')", name="cbdc_payment_requests_status"),
)

issuance_events: Final = Table(
    "cbdc_issuance_events",
    metadata,
    _seq(),
    Column("id", String(ID_CHARS_MAX), nullable=False, unique=True),
    Column("operation_id", String(OPERATION_ID_CHARS_MAX), nullable=False, unique=True),
    Column("bank_code", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("amount_tyiyn", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("failure", Text),
    Column("day", String(10), nullable=False, index=True),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("amount_tyiyn > 0", name="cbdc_issuance_events_amount_positive"),
    CheckConstraint("kind IN ('reserve_credit', 'issue', 'redeem')", name="cbdc_issuance_events_kind"),
    CheckConstraint("status IN ('pending', 'completed', 'failed')", name="cbdc_issuance_events_status"),
)

idempotency_keys: Final = Table(
    "cbdc_idempotency_keys",
    metadata,
    Column("principal", String(TEXT_CHARS_MAX), primary_key=True),
    Column("key", String(ID_CHARS_MAX * 4), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("content_type", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
)


PERSONAL_NUMBER_DIGITS: Final = 14
BANK_ACCOUNT_CHARS_MAX: Final = 34  # an IBAN's maximum length

# (id, bank_code) of a wallet, unique (migration 2): the alias directory's foreign key
# names both, so the database itself refuses an alias to a wallet of another bank.
Index("cbdc_wallets_id_bank", wallets.c.id, wallets.c.bank_code, unique=True)

# The banks' alias directory: a person's number -> one destination at each bank that
# registered it (migration 4: one row per bank and number, so no bank learns that another
# holds the number). Personal data: a bank reads only its own rows, the central bank none;
# only the treasury's disbursement wiring resolves numbers, to the earliest registration
# that can receive (docs/benefits.md, digisom.cbdc.aliases).
aliases: Final = Table(
    "cbdc_alias_registrations",
    metadata,
    _seq(),
    Column("personal_number", String(PERSONAL_NUMBER_DIGITS), nullable=False),  # indexed by the UNIQUE below
    Column("bank_code", String(16), nullable=False, index=True),
    Column("wallet_id", String(ID_CHARS_MAX), index=True),
    Column("bank_account", String(BANK_ACCOUNT_CHARS_MAX)),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    Column("updated_at", String(ISO_TIME_CHARS), nullable=False),
    UniqueConstraint("personal_number", "bank_code", name="cbdc_alias_registrations_one_per_bank"),
    ForeignKeyConstraint(["wallet_id", "bank_code"], ["cbdc_wallets.id", "cbdc_wallets.bank_code"],
                         name="cbdc_alias_registrations_wallet_of_bank"),
    CheckConstraint(f"length(personal_number) = {PERSONAL_NUMBER_DIGITS}",
                    name="cbdc_alias_registrations_personal_number"),
    CheckConstraint("(wallet_id IS NULL) <> (bank_account IS NULL)", name="cbdc_alias_registrations_one_destination"),
)

MCC_CHARS: Final = 4
BENEFIT_CATEGORIES_MAX: Final = 32
# Sorted MCCs joined by commas: "5411,5943".
CATEGORIES_CHARS_MAX: Final = BENEFIT_CATEGORIES_MAX * (MCC_CHARS + 1)

# Migration 3: purpose-bound benefits.
benefit_schemes: Final = Table(
    "cbdc_benefit_schemes",
    metadata,
    _seq(),
    Column("id", String(ID_CHARS_MAX), nullable=False, unique=True),
    Column("operation_id", String(OPERATION_ID_CHARS_MAX), nullable=False, unique=True),
    Column("name", String(TEXT_CHARS_MAX), nullable=False),
    Column("categories", String(CATEGORIES_CHARS_MAX), nullable=False),
    Column("expires_on", String(10), nullable=False),
    Column("treasury_wallet_id", String(ID_CHARS_MAX), ForeignKey("cbdc_wallets.id"), nullable=False),
    Column("created_by", String(TEXT_CHARS_MAX), nullable=False),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint(f"length(categories) >= {MCC_CHARS}", name="cbdc_benefit_schemes_categories"),
    CheckConstraint("length(expires_on) = 10", name="cbdc_benefit_schemes_expires_on"),
)

# One ledger account (`AccountCode.BENEFIT`, id derived from scheme and wallet) per row;
# the expiry sweep walks these rows.
benefit_accounts: Final = Table(
    "cbdc_benefit_accounts",
    metadata,
    _seq(),
    Column("scheme_id", String(ID_CHARS_MAX), ForeignKey("cbdc_benefit_schemes.id"), nullable=False),
    Column("wallet_id", String(ID_CHARS_MAX), ForeignKey("cbdc_wallets.id"), nullable=False, index=True),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    UniqueConstraint("scheme_id", "wallet_id", name="cbdc_benefit_accounts_one_per_wallet"),
)

# Payments made from a benefit (and refunds back into it).
benefit_payments: Final = Table(
    "cbdc_benefit_payments",
    metadata,
    Column("payment_id", String(ID_CHARS_MAX), ForeignKey("cbdc_payments.id"), nullable=False),
    Column("scheme_id", String(ID_CHARS_MAX), ForeignKey("cbdc_benefit_schemes.id"), nullable=False),
    PrimaryKeyConstraint("payment_id", name="cbdc_benefit_payments_pk"),
)
