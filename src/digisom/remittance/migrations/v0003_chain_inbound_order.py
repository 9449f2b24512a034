"""Remittance migration 3 (added 2026-12-08): indexes for rail 2's inbound transfers in
chain order. Every read of `remittance_chain_inbound` names a token and sorts by (block,
log index): the API's pages, a re-org's forgetting above a block, and the follower's poll
for cleared transfers (by status). Without these each scanned and sorted the token's rows.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations")."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

# The same DDL on SQLite and PostgreSQL.
DDL: Final = (
    "CREATE INDEX ix_remittance_chain_inbound_order ON remittance_chain_inbound (token, block_number, log_index)",
    "CREATE INDEX ix_remittance_chain_inbound_status ON remittance_chain_inbound "
    "(token, status, block_number, log_index)",
)

MIGRATION: Final = Migration(3, "rail 2: inbound transfers indexed in chain order",
                             ddl_step(sqlite=DDL, postgresql=DDL))
