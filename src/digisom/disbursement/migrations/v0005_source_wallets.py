"""Disbursement migration 5 (added 2026-12-07): programmes name the government wallet they
pay from. Rows from before keep "" (their wallet cannot be recovered from a ledger
account id) and are refused at execution until re-created with a wallet.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `disbursement/tables.py` describes the result
of all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

_ADD_COLUMN: Final = (
    "ALTER TABLE disbursement_programmes ADD COLUMN source_wallet_id VARCHAR(64) NOT NULL DEFAULT ''",
)

MIGRATION: Final = Migration(
    5,
    "programmes name the government wallet they pay from",
    ddl_step(sqlite=_ADD_COLUMN, postgresql=_ADD_COLUMN),
)
