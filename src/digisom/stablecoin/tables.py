"""The bridge's own tables (SQLAlchemy Core), in the ledger's database.

Token amounts are decimal strings: an 18-decimal token's units do not fit a BIGINT.
Constraints hold what must hold whatever the code does: one row per operation id, one
redemption per (transaction hash, log index), one row per transaction hash.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata: Final = MetaData()

OPERATION_ID_CHARS_MAX: Final = 200
ADDRESS_CHARS: Final = 42
HASH_CHARS: Final = 66
UNITS_CHARS_MAX: Final = 78  # a uint256 has 78 digits
TEXT_CHARS_MAX: Final = 400
ISO_TIME_CHARS: Final = 32
# "<chain id>:<token address>": every row belongs to one token on one chain.
TOKEN_CHARS_MAX: Final = 64
_STATES: Final = ("requested", "pending_in_ledger", "sent", "confirmed", "posted", "failed", "voided", "rejected",
                  "unmatched")

operations: Final = Table(
    "stablecoin_operations",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(OPERATION_ID_CHARS_MAX), nullable=False, unique=True),
    Column("token", String(TOKEN_CHARS_MAX), nullable=False, index=True),
    Column("kind", String(8), nullable=False),
    Column("state", String(24), nullable=False, index=True),
    Column("wallet_id", String(64)),
    Column("address", String(ADDRESS_CHARS), nullable=False),
    Column("amount_tyiyn", BigInteger, nullable=False),
    Column("amount_token_units", String(UNITS_CHARS_MAX), nullable=False),
    Column("tx_hash", String(HASH_CHARS)),
    Column("nonce", BigInteger),
    Column("raw_tx", Text),
    Column("source_tx_hash", String(HASH_CHARS)),
    Column("source_log_index", Integer),
    Column("source_block", BigInteger),
    Column("failure", String(TEXT_CHARS_MAX)),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    Column("updated_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("kind IN ('mint', 'redeem')", name="stablecoin_operations_kind"),
    CheckConstraint(f"state IN {_STATES}", name="stablecoin_operations_state"),
    CheckConstraint("amount_tyiyn >= 0", name="stablecoin_operations_amount"),
    UniqueConstraint("source_tx_hash", "source_log_index", name="stablecoin_operations_source"),
)

# Every signed transaction of an operation (a fee bump adds one with the same nonce).
attempts: Final = Table(
    "stablecoin_tx_attempts",
    metadata,
    Column("tx_hash", String(HASH_CHARS), primary_key=True),
    Column("operation_id", String(OPERATION_ID_CHARS_MAX), nullable=False, index=True),
    Column("sender", String(ADDRESS_CHARS), nullable=False),
    Column("nonce", BigInteger, nullable=False),
    Column("raw_tx", Text, nullable=False),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    Index("stablecoin_tx_attempts_sender_nonce", "sender", "nonce"),
)

# Which wallet a holder's on-chain address redeems into.
links: Final = Table(
    "stablecoin_address_links",
    metadata,
    Column("address", String(ADDRESS_CHARS), primary_key=True),
    Column("wallet_id", String(64), nullable=False),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
)

# The event follower's remembered blocks.
cursor_blocks: Final = Table(
    "stablecoin_cursor_blocks",
    metadata,
    Column("token", String(TOKEN_CHARS_MAX), primary_key=True),
    Column("number", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(HASH_CHARS), nullable=False),
    Column("parent_hash", String(HASH_CHARS), nullable=False),
)

# The published supply-versus-reserve reports.
reserve_reports: Final = Table(
    "stablecoin_reserve_reports",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("chain_id", BigInteger, nullable=False),
    Column("token_address", String(ADDRESS_CHARS), nullable=False, index=True),
    Column("decimals", Integer, nullable=False),
    Column("supply_token_units", String(UNITS_CHARS_MAX), nullable=False),
    Column("supply_tyiyn", BigInteger),
    Column("reserve_tyiyn", BigInteger, nullable=False),
    Column("mint_in_flight_tyiyn", BigInteger, nullable=False),
    Column("redeem_in_flight_tyiyn", BigInteger, nullable=False),
    Column("minter_allowance_token_units", String(UNITS_CHARS_MAX), nullable=False),
    Column("balanced", Integer, nullable=False),
    Column("at", String(ISO_TIME_CHARS), nullable=False),
)
