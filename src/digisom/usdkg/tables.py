"""USDKG's tables (SQLAlchemy Core), in the issuer's database.

The bar register's rules are checked twice: by the import's validation and by the CHECK
constraints below (fine weight = gross × fineness rounded down; LBMA limits). Weights are
integer thousandths of a troy ounce, fineness integer tenths, prices integer US cents per
ounce; times are ISO 8601 UTC text (`digisom.kernel.clock.iso_utc`), which sorts as time.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata: Final = MetaData()

NAME_CHARS_MAX: Final = 64
SERIAL_CHARS_MAX: Final = 32
BRAND_CHARS_MAX: Final = 100
ISO_TIME_CHARS: Final = 32
DATE_CHARS: Final = 10
SHA256_HEX_CHARS: Final = 64

# Registered signers: custodians, auditors and price signers, each with an Ed25519 key.
signers: Final = Table(
    "usdkg_signers",
    metadata,
    Column("name", String(NAME_CHARS_MAX), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("public_key", LargeBinary(32), nullable=False, unique=True),
    Column("registered_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("role IN ('custodian', 'auditor', 'price_signer')", name="usdkg_signers_role"),
)

# The bar register as it stands; `usdkg_bar_events` keeps how it got there.
bars: Final = Table(
    "usdkg_bars",
    metadata,
    Column("serial", String(SERIAL_CHARS_MAX), primary_key=True),
    Column("brand", String(BRAND_CHARS_MAX), nullable=False),
    Column("year", Integer, nullable=False),
    Column("gross_moz", BigInteger, nullable=False),
    Column("fineness_tenths", Integer, nullable=False),
    Column("fine_moz", BigInteger, nullable=False),
    Column("vault", String(NAME_CHARS_MAX), nullable=False),
    Column("custodian", String(NAME_CHARS_MAX), ForeignKey("usdkg_signers.name"), nullable=False),
    Column("status", String(16), nullable=False),
    CheckConstraint("status IN ('in_vault', 'in_transit', 'withdrawn')", name="usdkg_bars_status"),
    CheckConstraint("gross_moz > 0 AND gross_moz = (gross_moz / 25) * 25", name="usdkg_bars_gross_step"),
    CheckConstraint("fineness_tenths BETWEEN 9950 AND 10000", name="usdkg_bars_fineness"),
    CheckConstraint("fine_moz BETWEEN 350000 AND 430000", name="usdkg_bars_fine_range"),
    # fine = floor(gross × fineness / 10000), without division; the step by integer division
    # (no `%`, which the PostgreSQL driver reads as a placeholder).
    CheckConstraint(
        "fine_moz * 10000 <= gross_moz * fineness_tenths AND gross_moz * fineness_tenths < (fine_moz + 1) * 10000",
        name="usdkg_bars_fine_weight",
    ),
)

# Signed movements: one signature covers a whole batch (an imported weight list, a dispatch).
movements: Final = Table(
    "usdkg_movements",
    metadata,
    Column("movement_id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("custodian", String(NAME_CHARS_MAX), ForeignKey("usdkg_signers.name"), nullable=False),
    Column("at", String(ISO_TIME_CHARS), nullable=False),
    Column("body", Text, nullable=False),  # the signed JSON, so anyone can verify it again
    Column("signature", LargeBinary(64), nullable=False),
    Column("recorded_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("kind IN ('arrive', 'dispatch', 'receive', 'withdraw')", name="usdkg_movements_kind"),
)

# Each bar's state after each movement: the register as of any date is the last row per
# bar at or before it.
bar_events: Final = Table(
    "usdkg_bar_events",
    metadata,
    Column("serial", String(SERIAL_CHARS_MAX), ForeignKey("usdkg_bars.serial"), primary_key=True),
    Column("movement_id", Integer, ForeignKey("usdkg_movements.movement_id"), primary_key=True),
    Column("at", String(ISO_TIME_CHARS), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("vault", String(NAME_CHARS_MAX), nullable=False),
    CheckConstraint("status IN ('in_vault', 'in_transit', 'withdrawn')", name="usdkg_bar_events_status"),
)

prices: Final = Table(
    "usdkg_prices",
    metadata,
    Column("price_id", Integer, primary_key=True, autoincrement=True),
    Column("source", String(32), nullable=False),
    Column("price_cents_per_oz", BigInteger, nullable=False),
    Column("as_of", String(ISO_TIME_CHARS), nullable=False, index=True),
    Column("recorded_at", String(ISO_TIME_CHARS), nullable=False),
    Column("evidence_sha256", String(SHA256_HEX_CHARS), nullable=False),
    CheckConstraint("price_cents_per_oz > 0", name="usdkg_prices_positive"),
)

audits: Final = Table(
    "usdkg_audits",
    metadata,
    Column("audit_id", Integer, primary_key=True, autoincrement=True),
    Column("audit_date", String(DATE_CHARS), nullable=False, unique=True),
    Column("auditor", String(NAME_CHARS_MAX), ForeignKey("usdkg_signers.name"), nullable=False),
    Column("imported_at", String(ISO_TIME_CHARS), nullable=False),
    Column("count_sha256", String(SHA256_HEX_CHARS), nullable=False),
    Column("bars_counted", Integer, nullable=False),
    Column("findings", Integer, nullable=False),
    Column("report", Text, nullable=False),
    Column("report_sha256", String(SHA256_HEX_CHARS), nullable=False),
    Column("signature", LargeBinary(64)),
    Column("signed_at", String(ISO_TIME_CHARS)),
    Column("resolution", Text),
    Column("resolution_signature", LargeBinary(64)),
    Column("resolved_at", String(ISO_TIME_CHARS)),
    CheckConstraint("bars_counted >= 0 AND findings >= 0", name="usdkg_audits_counts"),
    CheckConstraint("(signature IS NULL) = (signed_at IS NULL)", name="usdkg_audits_signed"),
    CheckConstraint("resolved_at IS NULL OR (signed_at IS NOT NULL AND findings > 0)", name="usdkg_audits_resolved"),
)

# The auditor's bar count, kept as evidence beside the audit.
audit_counts: Final = Table(
    "usdkg_audit_counts",
    metadata,
    Column("audit_id", Integer, ForeignKey("usdkg_audits.audit_id"), primary_key=True),
    Column("serial", String(SERIAL_CHARS_MAX), primary_key=True),
    Column("brand", String(BRAND_CHARS_MAX), nullable=False),
    Column("year", Integer, nullable=False),
    Column("gross_moz", BigInteger, nullable=False),
    Column("fineness_tenths", Integer, nullable=False),
    Column("fine_moz", BigInteger, nullable=False),
    Column("vault", String(NAME_CHARS_MAX), nullable=False),
)

coverage_reports: Final = Table(
    "usdkg_coverage_reports",
    metadata,
    Column("report_date", String(DATE_CHARS), primary_key=True),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    Column("report", Text, nullable=False),
    Column("report_sha256", String(SHA256_HEX_CHARS), nullable=False),
)

OPERATION_ID_CHARS_MAX: Final = 64
ADDRESS_CHARS_MAX: Final = 64  # 0x + 40 hex on an EVM chain; a TRON base58 address is 34
TX_HASH_CHARS_MAX: Final = 80

# The issuer's mints and redemptions by operation id (migration 2): a row is written under
# the mint lock before the chain is asked, so a retried id is answered from here and never
# sent twice. `sending` with no outcome after a crash is in doubt and counts as issued.
operations: Final = Table(
    "usdkg_operations",
    metadata,
    Column("operation_id", String(OPERATION_ID_CHARS_MAX), primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("chain_id", BigInteger, nullable=False),
    Column("address", String(ADDRESS_CHARS_MAX), nullable=False),
    Column("amount_units", BigInteger, nullable=False),
    Column("state", String(8), nullable=False, index=True),
    Column("tx_hash", String(TX_HASH_CHARS_MAX)),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    Column("completed_at", String(ISO_TIME_CHARS)),
    CheckConstraint("kind IN ('mint', 'redeem')", name="usdkg_operations_kind"),
    CheckConstraint("state IN ('sending', 'done')", name="usdkg_operations_state"),
    CheckConstraint("amount_units > 0 AND chain_id > 0", name="usdkg_operations_positive"),
    CheckConstraint("(state = 'done') = (tx_hash IS NOT NULL)", name="usdkg_operations_tx"),
    CheckConstraint("(state = 'done') = (completed_at IS NOT NULL)", name="usdkg_operations_completed"),
)
