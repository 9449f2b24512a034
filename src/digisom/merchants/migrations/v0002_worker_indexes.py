"""Merchant invoices migration 2 (added 2026-12-07): the worker's indexes.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/adr/0006-frozen-migrations.md). Each round the worker asks for the moves still on
their way (state signed or sent) and the awaiting invoices past their expiry (status,
expires_at): both read through an index, not a scan of every move and invoice ever made."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

_DDL: Final = (
    "CREATE INDEX ix_merchant_moves_state ON merchant_moves (state)",
    "CREATE INDEX ix_merchant_invoices_status_expires ON merchant_invoices (status, expires_at)",
)

MIGRATION: Final = Migration(2, "the invoice worker's indexes: moves by state, invoices by status and expiry",
                             ddl_step(sqlite=_DDL, postgresql=_DDL))
