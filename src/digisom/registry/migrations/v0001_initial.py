"""Register migration 1 (added 2026-12-07): the register's one table.

IF NOT EXISTS: before this step the table was created on first use, with no history, so
a database from then has it already (with this very shape) and only gains its history.

Frozen: this is the DDL the step ran when it was added; once released it never changes
(docs/operations.md, "Schema migrations"). `registry/register.py` describes the result
of all steps, and tests/test_migration_history.py checks the two agree."""

from __future__ import annotations

from typing import Final

from digisom.domain_migrations import Migration, ddl_step

_ASSETS: Final = (
    """
CREATE TABLE IF NOT EXISTS registry_assets (
    entry_id VARCHAR(200) NOT NULL,
    symbol VARCHAR(16) NOT NULL,
    asset VARCHAR(200) NOT NULL,
    issuer VARCHAR(200) NOT NULL,
    peg VARCHAR(100) NOT NULL,
    standard VARCHAR(32) NOT NULL,
    chain_id BIGINT NOT NULL,
    contract_address VARCHAR(42) NOT NULL,
    decimals INTEGER NOT NULL,
    reserve_report_url VARCHAR(400) NOT NULL,
    registered_at VARCHAR(32) NOT NULL,
    PRIMARY KEY (entry_id)
)
""",
)

MIGRATION: Final = Migration(1, "the register of digital assets", ddl_step(sqlite=_ASSETS, postgresql=_ASSETS))
