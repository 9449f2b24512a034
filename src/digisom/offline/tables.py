"""The offline domain's tables (SQLAlchemy Core), in the ledger's database.

The settlement book lives here, durably: every validly signed payment ever seen is a
row of `offline_payments`, whose primary key (payer key id, counter, payment hash) is
the database's own guard against settling a payment twice. Amounts are integer tyiyn.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from digisom.offline.codec import HASH_BYTES, KEY_ID_BYTES, PUBLIC_KEY_BYTES

metadata: Final = MetaData()

ID_CHARS_MAX: Final = 64
OPERATION_ID_CHARS_MAX: Final = 400
ISO_TIME_CHARS: Final = 32
CERTIFICATE_BYTES_MAX: Final = 256
PARKED_DETAIL_CHARS_MAX: Final = 200

# The central bank's root key and each commercial bank's key. Pilot only: software
# keys in the database; production keeps them in HSMs behind `keys.Signer`.
signing_keys: Final = Table(
    "offline_signing_keys",
    metadata,
    Column("key_id", LargeBinary(KEY_ID_BYTES), primary_key=True),
    Column("role", Integer, nullable=False),
    Column("bank_code", String(16), unique=True),  # NULL for the central bank
    Column("seed", LargeBinary(32), nullable=False),
    Column("certificate", LargeBinary(CERTIFICATE_BYTES_MAX), nullable=False),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
)

# The device registry: one row per certified device key. The primary key refuses a
# second key with the same key id; the unique public key refuses certifying it twice.
devices: Final = Table(
    "offline_devices",
    metadata,
    Column("key_id", LargeBinary(KEY_ID_BYTES), primary_key=True),
    Column("public_key", LargeBinary(PUBLIC_KEY_BYTES), nullable=False, unique=True),
    Column("wallet_id", String(ID_CHARS_MAX), nullable=False, index=True),
    Column("bank_code", String(16), nullable=False),
    Column("certificate", LargeBinary(CERTIFICATE_BYTES_MAX), nullable=False),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
)

fundings: Final = Table(
    "offline_fundings",
    metadata,
    Column("operation_id", String(OPERATION_ID_CHARS_MAX), primary_key=True),
    Column("device_key_id", LargeBinary(KEY_ID_BYTES), nullable=False, index=True),
    Column("amount_tyiyn", BigInteger, nullable=False),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("amount_tyiyn > 0", name="offline_fundings_amount_positive"),
)

# Per payer: what settlement has paid from its reserve and under the guarantee, what
# went back to the wallet, and its fraud findings (JSON list of [fraud, counter]).
device_books: Final = Table(
    "offline_device_books",
    metadata,
    Column("key_id", LargeBinary(KEY_ID_BYTES), primary_key=True),
    Column("reserve_paid_tyiyn", BigInteger, nullable=False),
    Column("guarantee_paid_tyiyn", BigInteger, nullable=False),
    Column("defunded_tyiyn", BigInteger, nullable=False),
    Column("findings", Text, nullable=False),
    CheckConstraint(
        "reserve_paid_tyiyn >= 0 AND guarantee_paid_tyiyn >= 0 AND defunded_tyiyn >= 0",
        name="offline_device_books_non_negative",
    ),
)

runs: Final = Table(
    "offline_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("device_key_id", LargeBinary(KEY_ID_BYTES), nullable=False),
    # 'pending' until every ledger transfer of the run is committed: a crash in between
    # is repaired by resubmitting the run's transfers (their ids make that harmless).
    Column("status", String(16), nullable=False),
    Column("payments", Integer, nullable=False),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("status IN ('pending', 'posted')", name="offline_runs_status"),
)

payments: Final = Table(
    "offline_payments",
    metadata,
    Column("payer_key_id", LargeBinary(KEY_ID_BYTES), primary_key=True),
    Column("counter", BigInteger, primary_key=True, autoincrement=False),
    Column("payment_hash", LargeBinary(HASH_BYTES), primary_key=True),
    Column("previous_hash", LargeBinary(HASH_BYTES), nullable=False),
    Column("payee_id", LargeBinary(KEY_ID_BYTES), nullable=False),
    Column("amount_tyiyn", BigInteger, nullable=False),
    Column("cumulative_tyiyn", BigInteger, nullable=False),
    Column("verdict", String(16)),  # NULL while deferred
    Column("reserve_tyiyn", BigInteger, nullable=False),
    Column("guarantee_tyiyn", BigInteger, nullable=False),
    Column("run_id", Integer, nullable=False, index=True),
    CheckConstraint("amount_tyiyn > 0", name="offline_payments_amount_positive"),
    # Paid in full or not at all.
    CheckConstraint(
        "reserve_tyiyn + guarantee_tyiyn IN (0, amount_tyiyn)", name="offline_payments_full_or_nothing"
    ),
)

claims: Final = Table(
    "offline_claims",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=False),
    Column("device_key_id", LargeBinary(KEY_ID_BYTES), primary_key=True),
    Column("bank_code", String(16), nullable=False),
    Column("amount_tyiyn", BigInteger, nullable=False),
    CheckConstraint("amount_tyiyn > 0", name="offline_claims_amount_positive"),
)

defunds: Final = Table(
    "offline_defunds",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=False),
    Column("device_key_id", LargeBinary(KEY_ID_BYTES), nullable=False),
    Column("wallet_id", String(ID_CHARS_MAX), nullable=False),
    Column("amount_tyiyn", BigInteger, nullable=False),
    CheckConstraint("amount_tyiyn > 0", name="offline_defunds_amount_positive"),
)

revocations: Final = Table(
    "offline_revocations",
    metadata,
    Column("key_id", LargeBinary(KEY_ID_BYTES), primary_key=True),
    Column("sequence", Integer, nullable=False),
    Column("reason", String(64), nullable=False),
)

revocation_lists: Final = Table(
    "offline_revocation_lists",
    metadata,
    Column("sequence", Integer, primary_key=True, autoincrement=False),
    Column("encoded", LargeBinary, nullable=False),
    Column("issued_at_s", BigInteger, nullable=False),
)

# One return of unspent value per funding epoch: the reserve's funding total (everything
# ever funded) when the value went back. The database's own guard, beside the request's
# binding to that total, against a replayed return request moving a later funding.
returns: Final = Table(
    "offline_returns",
    metadata,
    Column("device_key_id", LargeBinary(KEY_ID_BYTES), primary_key=True),
    Column("funding_total_tyiyn", BigInteger, primary_key=True, autoincrement=False),
    Column("run_id", Integer, nullable=False),
)

# A pending run whose posting the ledger (or the wallet directory) refused: set aside
# with its typed reason for an operator, so later syncs of every device go on. The run
# stays 'pending' in `offline_runs`; its book entries keep its value in the reserve.
parked_runs: Final = Table(
    "offline_parked_runs",
    metadata,
    Column("run_id", Integer, primary_key=True, autoincrement=False),
    Column("reason", String(32), nullable=False),  # an `errors.Reason` value
    Column("detail", String(PARKED_DETAIL_CHARS_MAX), nullable=False),
    Column("parked_at", String(ISO_TIME_CHARS), nullable=False),
)
