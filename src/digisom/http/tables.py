"""The HTTP layer's own table: the first response to each (caller, idempotency key), for
every domain's routes (`digisom.http.idempotency`). Built by `digisom.http.migrations`."""

from __future__ import annotations

from typing import Final

from sqlalchemy import Column, Integer, MetaData, String, Table, Text

from digisom.http.idempotency import KEY_CHARS_MAX

metadata: Final = MetaData()

PRINCIPAL_CHARS_MAX: Final = 200  # role, bank code and subject (`Actor.principal`), each bounded by the token
ISO_TIME_CHARS: Final = 32

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
