"""The console's own table: its sign-in sessions, so a session can be ended on the server
(`digisom.console.sessions`). Built by `digisom.console.migrations`."""

from __future__ import annotations

from typing import Final

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, MetaData, String, Table

from digisom.http.auth import BANK_CODE_CHARS_MAX, SUBJECT_CHARS_MAX

metadata: Final = MetaData()

ID_SHA256_CHARS: Final = 64  # hex
ROLE_CHARS_MAX: Final = 32
REASON_CHARS_MAX: Final = 200

sessions: Final = Table(
    "console_sessions",
    metadata,
    # SHA-256 of the session id the cookie carries: a database reader cannot replay it.
    Column("id_sha256", String(ID_SHA256_CHARS), primary_key=True),
    Column("subject", String(SUBJECT_CHARS_MAX), nullable=False),
    Column("role", String(ROLE_CHARS_MAX), nullable=False),
    Column("bank_code", String(BANK_CODE_CHARS_MAX), nullable=True),
    Column("created_at_s", BigInteger, nullable=False),
    Column("expires_at_s", BigInteger, nullable=False),  # the token's `exp`
    Column("revoked_at_s", BigInteger, nullable=True),
    Column("revoked_reason", String(REASON_CHARS_MAX), nullable=True),
    CheckConstraint("length(id_sha256) = 64", name="console_sessions_id_sha256"),
    CheckConstraint("expires_at_s >= created_at_s", name="console_sessions_expiry"),
    CheckConstraint("(revoked_at_s IS NULL) = (revoked_reason IS NULL)", name="console_sessions_revoked"),
    Index("ix_console_sessions_subject", "subject"),
    Index("ix_console_sessions_expires_at_s", "expires_at_s"),
)
