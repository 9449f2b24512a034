"""The HTTP layer's own tables: the first response to each (caller, idempotency key), for
every domain's routes (`digisom.http.idempotency`), and the revoked bearer tokens
(`digisom.http.revocations`). Built by `digisom.http.migrations`."""

from __future__ import annotations

from typing import Final

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, Integer, MetaData, String, Table, Text

from digisom.http.auth import BANK_CODE_CHARS_MAX, SUBJECT_CHARS_MAX
from digisom.http.idempotency import KEY_CHARS_MAX

metadata: Final = MetaData()

PRINCIPAL_CHARS_MAX: Final = 200  # role, bank code and subject (`Actor.principal`), each bounded by the token
ISO_TIME_CHARS: Final = 32
JTI_CHARS: Final = 32  # the issuer's `jti`: a UUID4 as 32 hex digits
REASON_CHARS_MAX: Final = 200
ANY_BANK: Final = ""  # a subject's cut-off for its tokens of every bank (and of none)

idempotency_keys: Final = Table(
    "http_idempotency_keys",
    metadata,
    Column("principal", String(PRINCIPAL_CHARS_MAX), primary_key=True),
    Column("key", String(KEY_CHARS_MAX * 2), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("content_type", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", String(ISO_TIME_CHARS), nullable=False),
)

# One row per token revoked by its id; kept until no token with that id can still be
# valid (`expires_at_s`), then prunable.
revoked_tokens: Final = Table(
    "http_revoked_tokens",
    metadata,
    Column("jti", String(JTI_CHARS), primary_key=True),
    Column("subject", String(SUBJECT_CHARS_MAX), nullable=True),  # known when the token was at hand (sign-out)
    Column("expires_at_s", BigInteger, nullable=False),
    Column("revoked_at_s", BigInteger, nullable=False),
    Column("reason", String(REASON_CHARS_MAX), nullable=False),
    Column("revoked_by", String(PRINCIPAL_CHARS_MAX), nullable=False),
    CheckConstraint("length(jti) = 32", name="http_revoked_tokens_jti"),
    CheckConstraint("expires_at_s >= revoked_at_s", name="http_revoked_tokens_expiry"),
    Index("ix_http_revoked_tokens_expires_at_s", "expires_at_s"),
)

# A subject's cut-off: every token of `subject` (at `bank_code`, or at any bank for
# `ANY_BANK`) issued before `issued_before_s` is revoked. Prunable after `expires_at_s`.
token_cutoffs: Final = Table(
    "http_token_cutoffs",
    metadata,
    Column("subject", String(SUBJECT_CHARS_MAX), primary_key=True),
    Column("bank_code", String(BANK_CODE_CHARS_MAX), primary_key=True),
    Column("issued_before_s", BigInteger, nullable=False),
    Column("expires_at_s", BigInteger, nullable=False),
    Column("revoked_at_s", BigInteger, nullable=False),
    Column("reason", String(REASON_CHARS_MAX), nullable=False),
    Column("revoked_by", String(PRINCIPAL_CHARS_MAX), nullable=False),
    CheckConstraint("length(subject) > 0", name="http_token_cutoffs_subject"),
    CheckConstraint("expires_at_s >= issued_before_s", name="http_token_cutoffs_expiry"),
    Index("ix_http_token_cutoffs_expires_at_s", "expires_at_s"),
)
