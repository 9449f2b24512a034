"""The RTGS's durable state (SQLAlchemy Core), in the ledger's database.

Money itself lives on the ledger; these tables hold what the ledger does not know: who
the participants are, the queue and each payment's status, every message received and
sent, the pledges, and the end-of-day results. Rules that must hold whatever the code
does are constraints: a message id is received once per sender (duplicate detection),
an end-to-end id once per debtor bank and business day, amounts are positive.
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
    Text,
    UniqueConstraint,
)

metadata: Final = MetaData()

BANK_CODE_CHARS: Final = 16
BIC_CHARS: Final = 11
ISO_ID_CHARS: Final = 35  # ISO 20022 Max35Text: MsgId, EndToEndId, InstrId
NAME_CHARS: Final = 140
LEDGER_ID_CHARS: Final = 40  # a u128 in decimal
ISO_TIME_CHARS: Final = 32
DATE_CHARS: Final = 10
KEY_CHARS: Final = 64
SCREENING_REASON_CHARS: Final = 500
OFFICER_CHARS: Final = 200

banks: Final = Table(
    "interbank_banks",
    metadata,
    Column("bank_code", String(BANK_CODE_CHARS), primary_key=True),
    Column("bic", String(BIC_CHARS), unique=True),
    Column("name", String(NAME_CHARS), nullable=False),
    Column("settlement_account_id", String(LEDGER_ID_CHARS), nullable=False, unique=True),
    Column("credit_line_account_id", String(LEDGER_ID_CHARS), nullable=False, unique=True),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
)

days: Final = Table(
    "interbank_days",
    metadata,
    Column("business_date", String(DATE_CHARS), primary_key=True),
    Column("status", String(8), nullable=False),
    Column("last_lsm_s", Integer, nullable=False, server_default="0"),
    Column("closed_at", String(ISO_TIME_CHARS)),
    CheckConstraint("status IN ('open', 'closed')", name="interbank_days_status"),
)

messages: Final = Table(
    "interbank_messages",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("direction", String(3), nullable=False),
    Column("bank_code", String(BANK_CODE_CHARS), nullable=False),  # sender (in) or recipient (out)
    # Outbound copies of a settled order forwarded to the creditor are keyed "<MsgId>@<debtor>".
    Column("message_id", String(KEY_CHARS), nullable=False),
    Column("message_type", String(20), nullable=False),
    Column("business_date", String(DATE_CHARS), nullable=False),
    Column("payment_seq", Integer),
    Column("status", String(4)),  # inbound: the status first answered (ACSC, PDNG, RJCT)
    Column("reason_code", String(4)),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    Column("xml", Text, nullable=False),
    CheckConstraint("direction IN ('in', 'out')", name="interbank_messages_direction"),
    # Duplicate detection in the database itself: one message id per sender, received once.
    UniqueConstraint("direction", "bank_code", "message_id", name="interbank_messages_once"),
    Index("interbank_messages_by_bank", "bank_code", "direction", "seq"),
)

payments: Final = Table(
    "interbank_payments",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("message_id", String(ISO_ID_CHARS), nullable=False),
    Column("message_type", String(20), nullable=False),
    Column("end_to_end_id", String(ISO_ID_CHARS), nullable=False),
    Column("instruction_id", String(ISO_ID_CHARS)),
    Column("debtor_bank", String(BANK_CODE_CHARS), ForeignKey("interbank_banks.bank_code"), nullable=False),
    Column("creditor_bank", String(BANK_CODE_CHARS), ForeignKey("interbank_banks.bank_code"), nullable=False),
    Column("amount_tyiyn", BigInteger, nullable=False),
    Column("priority", String(8), nullable=False),
    Column("business_date", String(DATE_CHARS), nullable=False),
    Column("arrival_s", Integer, nullable=False),
    Column("status", String(8), nullable=False),
    Column("attempt", Integer, nullable=False, server_default="0"),
    Column("method", String(16)),
    Column("settled_s", Integer),
    Column("debit_transfer_id", String(LEDGER_ID_CHARS)),
    Column("credit_transfer_id", String(LEDGER_ID_CHARS)),
    Column("reason_code", String(4)),
    Column("return_of", Integer),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("amount_tyiyn > 0", name="interbank_payments_amount_positive"),
    CheckConstraint("status IN ('queued', 'settled', 'rejected')", name="interbank_payments_status"),
    CheckConstraint("priority IN ('urgent', 'normal')", name="interbank_payments_priority"),
    CheckConstraint("debtor_bank <> creditor_bank", name="interbank_payments_not_on_us"),
    UniqueConstraint("debtor_bank", "message_id", name="interbank_payments_message_once"),
    UniqueConstraint("debtor_bank", "end_to_end_id", "business_date", name="interbank_payments_e2e_once"),
    Index("interbank_payments_queue", "business_date", "status", "seq"),
)

pledges: Final = Table(
    "interbank_pledges",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("bank_code", String(BANK_CODE_CHARS), ForeignKey("interbank_banks.bank_code"), nullable=False),
    Column("pledge_key", String(KEY_CHARS), nullable=False),
    Column("amount_tyiyn", BigInteger, nullable=False),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    CheckConstraint("amount_tyiyn > 0", name="interbank_pledges_amount_positive"),
    UniqueConstraint("bank_code", "pledge_key", name="interbank_pledges_once"),
)

day_banks: Final = Table(
    "interbank_day_banks",
    metadata,
    Column("business_date", String(DATE_CHARS), primary_key=True),
    Column("bank_code", String(BANK_CODE_CHARS), ForeignKey("interbank_banks.bank_code"), primary_key=True),
    Column("credit_drawn_tyiyn", BigInteger, nullable=False),
    Column("credit_repaid_tyiyn", BigInteger, nullable=False),
    Column("credit_unpaid_tyiyn", BigInteger, nullable=False),
    Column("rejected_payments", Integer, nullable=False),
    Column("opening_balance_tyiyn", BigInteger, nullable=False),
    Column("closing_balance_tyiyn", BigInteger, nullable=False),
    Column("last_transfer_ts", BigInteger, nullable=False),
    Column("statement_message_id", String(ISO_ID_CHARS), nullable=False),
    CheckConstraint(
        "credit_repaid_tyiyn >= 0 AND credit_unpaid_tyiyn >= 0 AND credit_repaid_tyiyn + credit_unpaid_tyiyn = "
        "credit_drawn_tyiyn",
        name="interbank_day_banks_credit",
    ),
)

# pacs.008s that screening stopped (docs/interbank.md, "Screening of debtor and creditor"):
# refused on a hit, or held out of the queue on a review until an officer's decision
# releases them into the queue or rejects them. The message itself is kept to be taken
# in on release; a clear message leaves no row here (the compliance desk keeps every decision).
screening_stops: Final = Table(
    "interbank_screening_stops",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("bank_code", String(BANK_CODE_CHARS), ForeignKey("interbank_banks.bank_code"), nullable=False),
    Column("message_id", String(ISO_ID_CHARS), nullable=False),
    Column("message_type", String(20), nullable=False),
    Column("end_to_end_id", String(ISO_ID_CHARS), nullable=False),
    Column("settlement_date", String(DATE_CHARS), nullable=False),
    Column("amount_tyiyn", BigInteger, nullable=False),
    Column("debtor_name", String(NAME_CHARS), nullable=False),
    Column("creditor_name", String(NAME_CHARS), nullable=False),
    Column("debtor_decision", String(8), nullable=False),
    Column("debtor_reason", String(SCREENING_REASON_CHARS), nullable=False),
    Column("creditor_decision", String(8), nullable=False),
    Column("creditor_reason", String(SCREENING_REASON_CHARS), nullable=False),
    Column("status", String(20), nullable=False),
    Column("officer", String(OFFICER_CHARS)),
    Column("payment_seq", Integer),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
    Column("decided_at", String(ISO_TIME_CHARS)),
    Column("xml", Text, nullable=False),
    CheckConstraint("status IN ('refused', 'held_for_screening', 'released', 'rejected')",
                    name="interbank_screening_stops_status"),
    CheckConstraint("debtor_decision IN ('hit', 'review', 'clear') AND creditor_decision IN ('hit', 'review', 'clear')",
                    name="interbank_screening_stops_decisions"),
    # A hit is refused, never held; what is held or decided was a review and no hit.
    CheckConstraint("(status = 'refused') = (debtor_decision = 'hit' OR creditor_decision = 'hit')",
                    name="interbank_screening_stops_hit_refused"),
    # Only an officer's decision ends a hold, and only a hold gets one.
    CheckConstraint("(status IN ('released', 'rejected')) = (officer IS NOT NULL AND decided_at IS NOT NULL)",
                    name="interbank_screening_stops_decided"),
    UniqueConstraint("bank_code", "message_id", name="interbank_screening_stops_once"),
    Index("interbank_screening_stops_by_status", "status", "seq"),
)
