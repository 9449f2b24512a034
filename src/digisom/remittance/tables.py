"""The remittance domain's tables (SQLAlchemy Core): the result of all its migrations.

Rules are checked twice: by the service and by the constraints below (one remittance per
partner reference and per quote, a paid remittance's parts add up to what the quote
promised, amounts and rates positive). Amounts are integer minor units, rates integers
at `rates.RATE_SCALE`, ledger ids decimal text (they are 128-bit), times ISO 8601 UTC text.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import BigInteger, CheckConstraint, Column, ForeignKey, Index, Integer, MetaData, String, Table, Text

metadata: Final = MetaData()

ID_CHARS_MAX: Final = 64
NAME_CHARS_MAX: Final = 200
REASON_CHARS_MAX: Final = 500
ISO_TIME_CHARS: Final = 32
LEDGER_ID_CHARS: Final = 40
SHA256_HEX_CHARS: Final = 64

partners: Final = Table(
    "remittance_partners",
    metadata,
    Column("partner_id", String(ID_CHARS_MAX), primary_key=True),
    Column("name", String(NAME_CHARS_MAX), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("country", String(2), nullable=False),
    Column("bank_code", String(ID_CHARS_MAX), nullable=False),
    Column("position_account_id", String(LEDGER_ID_CHARS), nullable=False, unique=True),
    Column("month_limit_tyiyn", BigInteger, nullable=False),
    Column("active", Integer, nullable=False),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("kind IN ('mto', 'exchange')", name="remittance_partners_kind"),
    CheckConstraint("month_limit_tyiyn >= 0 AND active IN (0, 1)", name="remittance_partners_limits"),
)

corridors: Final = Table(
    "remittance_corridors",
    metadata,
    Column("corridor_id", String(ID_CHARS_MAX), primary_key=True),
    Column("partner_id", String(ID_CHARS_MAX), ForeignKey("remittance_partners.partner_id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("fee_fixed_minor", BigInteger, nullable=False),
    Column("fee_bps", Integer, nullable=False),
    Column("fx_margin_bps", Integer, nullable=False),
    Column("transfer_max_minor", BigInteger, nullable=False),
    Column("sender_month_max_minor", BigInteger, nullable=False),
    CheckConstraint("fee_fixed_minor >= 0 AND fee_bps BETWEEN 0 AND 10000 AND fx_margin_bps BETWEEN 0 AND 9999",
                    name="remittance_corridors_prices"),
    CheckConstraint("transfer_max_minor > 0 AND sender_month_max_minor >= transfer_max_minor",
                    name="remittance_corridors_limits"),
    Index("ux_remittance_corridors_partner_currency", "partner_id", "currency", unique=True),
)

quotes: Final = Table(
    "remittance_quotes",
    metadata,
    Column("quote_id", String(ID_CHARS_MAX), primary_key=True),
    Column("partner_id", String(ID_CHARS_MAX), nullable=False),
    Column("corridor_id", String(ID_CHARS_MAX), ForeignKey("remittance_corridors.corridor_id"), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("send_minor", BigInteger, nullable=False),
    Column("fee_fixed_minor", BigInteger, nullable=False),
    Column("fee_pct_minor", BigInteger, nullable=False),
    Column("fx_margin_minor", BigInteger, nullable=False),
    Column("reference_e6", BigInteger, nullable=False),
    Column("applied_e6", BigInteger, nullable=False),
    Column("rate_date", String(10), nullable=False),
    Column("receive_tyiyn", BigInteger, nullable=False),
    Column("usd_equivalent_cents", BigInteger, nullable=False),
    Column("all_in_cost_ppm", BigInteger, nullable=False),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    Column("expires_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("send_minor > 0 AND receive_tyiyn > 0 AND applied_e6 > 0 AND applied_e6 <= reference_e6",
                    name="remittance_quotes_amounts"),
    CheckConstraint("expires_at > created_at", name="remittance_quotes_expiry"),
)

remittances: Final = Table(
    "remittance_remittances",
    metadata,
    Column("remittance_id", String(ID_CHARS_MAX), primary_key=True),
    Column("partner_id", String(ID_CHARS_MAX), ForeignKey("remittance_partners.partner_id"), nullable=False),
    Column("reference", String(ID_CHARS_MAX), nullable=False),
    Column("body_sha256", String(SHA256_HEX_CHARS), nullable=False),
    Column("quote_id", String(ID_CHARS_MAX), ForeignKey("remittance_quotes.quote_id"), nullable=False, unique=True),
    Column("corridor_id", String(ID_CHARS_MAX), nullable=False),
    Column("sender_id", String(ID_CHARS_MAX), nullable=False),
    Column("sender_name", String(NAME_CHARS_MAX), nullable=False),
    Column("recipient_name", String(NAME_CHARS_MAX), nullable=False),
    Column("recipient_wallet_id", String(ID_CHARS_MAX), nullable=False),
    Column("recipient_personal_number", String(ID_CHARS_MAX), nullable=False),
    Column("send_minor", BigInteger, nullable=False),
    Column("receive_tyiyn", BigInteger, nullable=False),
    Column("month", String(7), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(REASON_CHARS_MAX), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("to_wallet_tyiyn", BigInteger, nullable=False),
    Column("waterfall_tyiyn", BigInteger, nullable=False),
    Column("to_bank_tyiyn", BigInteger, nullable=False),
    Column("travel_rule", Text, nullable=False),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    Column("updated_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("status IN ('paying', 'pending_review', 'paid', 'returned')", name="remittance_remittances_status"),
    CheckConstraint("status <> 'paid' OR to_wallet_tyiyn + waterfall_tyiyn + to_bank_tyiyn = receive_tyiyn",
                    name="remittance_remittances_paid_adds_up"),
    CheckConstraint("status = 'paid' OR to_wallet_tyiyn + waterfall_tyiyn + to_bank_tyiyn = 0",
                    name="remittance_remittances_unpaid_moved_nothing"),
    CheckConstraint("send_minor > 0 AND receive_tyiyn > 0", name="remittance_remittances_amounts"),
    Index("ux_remittance_remittances_reference", "partner_id", "reference", unique=True),
    Index("ix_remittance_remittances_sender_month", "corridor_id", "sender_id", "month"),
    Index("ix_remittance_remittances_partner_month", "partner_id", "month"),
    Index("ix_remittance_remittances_status", "status"),
)

# Every screening decision taken on a remittance, one per party.
screenings: Final = Table(
    "remittance_screenings",
    metadata,
    Column("remittance_id", String(ID_CHARS_MAX), ForeignKey("remittance_remittances.remittance_id"),
           primary_key=True),
    Column("party", String(16), primary_key=True),
    Column("decision", String(8), nullable=False),
    Column("reason", String(REASON_CHARS_MAX), nullable=False),
    CheckConstraint("party IN ('sender', 'recipient', 'partner')", name="remittance_screenings_party"),
    CheckConstraint("decision IN ('hit', 'review', 'clear')", name="remittance_screenings_decision"),
)

# A compliance officer's decision on a remittance held for review.
reviews: Final = Table(
    "remittance_reviews",
    metadata,
    Column("remittance_id", String(ID_CHARS_MAX), ForeignKey("remittance_remittances.remittance_id"),
           primary_key=True),
    Column("decision", String(8), nullable=False),
    Column("officer", String(ID_CHARS_MAX), nullable=False),
    Column("note", String(REASON_CHARS_MAX), nullable=False),
    Column("decided_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("decision IN ('clear', 'block')", name="remittance_reviews_decision"),
)

# Prefundings and defundings of partners' positions, by their idempotency key.
fundings: Final = Table(
    "remittance_fundings",
    metadata,
    Column("funding_id", String(ID_CHARS_MAX), primary_key=True),
    Column("partner_id", String(ID_CHARS_MAX), ForeignKey("remittance_partners.partner_id"), nullable=False),
    Column("kind", String(8), nullable=False),
    Column("amount_tyiyn", BigInteger, nullable=False),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("kind IN ('prefund', 'defund') AND amount_tyiyn > 0", name="remittance_fundings_kind"),
)

# Rail 2 (migration 2): KGST/USDKG sent to the issuer's redemption address by an address
# linked to a wallet. Addresses are kept as given (checksummed) and by their comparison key
# (`onchain.address_key`); token amounts are decimal text (uint256 outgrows BIGINT).
ADDRESS_CHARS_MAX: Final = 128
TX_HASH_CHARS: Final = 66
TOKEN_UNITS_CHARS: Final = 78

chain_links: Final = Table(
    "remittance_chain_links",
    metadata,
    Column("address_key", String(ADDRESS_CHARS_MAX), primary_key=True),
    Column("address", String(ADDRESS_CHARS_MAX), nullable=False),
    Column("wallet_id", String(ID_CHARS_MAX), nullable=False),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
)

chain_window: Final = Table(
    "remittance_chain_window",
    metadata,
    Column("token", String(ADDRESS_CHARS_MAX), primary_key=True),
    Column("tx_hash", String(TX_HASH_CHARS), primary_key=True),
    Column("log_index", Integer, primary_key=True),
    Column("block_number", BigInteger, nullable=False),
    Column("source_key", String(ADDRESS_CHARS_MAX), nullable=False),
    Column("to_key", String(ADDRESS_CHARS_MAX), nullable=False),
    Index("ix_remittance_chain_window_to", "token", "to_key"),
    Index("ix_remittance_chain_window_block", "token", "block_number"),
)

chain_inbound: Final = Table(
    "remittance_chain_inbound",
    metadata,
    Column("token", String(ADDRESS_CHARS_MAX), primary_key=True),
    Column("tx_hash", String(TX_HASH_CHARS), primary_key=True),
    Column("log_index", Integer, primary_key=True),
    Column("block_number", BigInteger, nullable=False),
    Column("sender", String(ADDRESS_CHARS_MAX), nullable=False),
    Column("wallet_id", String(ID_CHARS_MAX), nullable=False),
    Column("amount_token_units", String(TOKEN_UNITS_CHARS), nullable=False),
    Column("decision", String(8), nullable=False),
    Column("reason", String(REASON_CHARS_MAX), nullable=False),
    Column("status", String(16), nullable=False),
    Column("officer", String(NAME_CHARS_MAX), nullable=False),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    Column("updated_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("decision IN ('hit', 'review', 'clear')", name="remittance_chain_inbound_decision"),
    CheckConstraint("status IN ('passed', 'stopped', 'held', 'cleared', 'released', 'blocked')",
                    name="remittance_chain_inbound_status"),
    # A hit is never handed to the redemption path; a review only after an officer cleared it.
    CheckConstraint("(decision = 'clear' AND status = 'passed') OR (decision = 'hit' AND status = 'stopped') "
                    "OR (decision = 'review' AND status IN ('held', 'cleared', 'released', 'blocked'))",
                    name="remittance_chain_inbound_flow"),
    # Every read names a token and goes in chain order; the follower polls by status.
    Index("ix_remittance_chain_inbound_order", "token", "block_number", "log_index"),
    Index("ix_remittance_chain_inbound_status", "token", "status", "block_number", "log_index"),
)
