"""Migrations 3 to 5 bring a database made by migrations 1 and 2 to the shape a new database
gets: rows kept, the new columns and tables there, every constraint in force (SQLite
rebuilds the payments table for its new CHECK; PostgreSQL alters it)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from digisom.api.runtime import domain_engine
from digisom.disbursement import tables
from digisom.disbursement.migrations import migrate
from digisom.disbursement.model import PaymentStatus
from digisom.domain_migrations import versions_table
from digisom.ledger.service import Ledger
from tests.disbursement.test_execute import TREASURY_CLERK, approved_run, build, pin

SCHEMA_V2 = Path(__file__).parent / "schema_v2_{dialect}.sql"
OLD_PIN = "21203195000123"


@pytest.fixture
def old_engine(urls: tuple[str, str], request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database (beside the `engine` fixture's) as migrations 1 and 2 left it, with one
    paid payment in it."""
    if urls[0].startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("postgres_databases")()
    engine = domain_engine(url)
    path = SCHEMA_V2.with_name(SCHEMA_V2.name.format(dialect=engine.dialect.name))
    ddl = "\n".join(line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("--"))
    now = datetime.now(UTC).isoformat()
    with engine.begin() as conn:
        for statement in ddl.split(";"):
            if statement.strip():
                conn.execute(text(statement))
        versions = versions_table("disbursement")
        versions.create(conn)
        conn.execute(versions.insert(), [{"version": v, "name": "before", "applied_at": now} for v in (1, 2)])
        conn.execute(
            text(
                "INSERT INTO disbursement_programmes (id, name, ledger_account_id, budget_tyiyn, remaining_tyiyn,"
                " created_at) VALUES ('old', 'Old', '2', 1000, 900, :now)"
            ),
            {"now": now},
        )
        conn.execute(
            text(
                "INSERT INTO disbursement_runs (id, programme_id, period, status, uploaded_by, approved_by, rows,"
                " total_tyiyn, batches_done, file_sha256, uploaded_at) VALUES ('run_old', 'old', '2026-10',"
                " 'completed', 'a', 'b', 1, 100, 1, :sha, :now)"
            ),
            {"now": now, "sha": "0" * 64},
        )
        conn.execute(
            text(
                "INSERT INTO disbursement_payments (run_id, programme_id, period, pin, line, amount_tyiyn, name,"
                " region, channel, account_id, transfer_id, status, reason) VALUES ('run_old', 'old', '2026-10',"
                " :pin, 2, 100, 'Old', 'Naryn', 'wallet', '1001', :tid, 'paid', '')"
            ),
            {"pin": OLD_PIN, "tid": "a" * 32},
        )
    try:
        yield engine
    finally:
        engine.dispose()


def shape(engine: Engine) -> dict[str, tuple[list[str], list[str], list[str | None]]]:
    """Per table: its columns, index names and CHECK constraint names."""
    inspector = inspect(engine)
    return {
        table.name: (
            sorted(c["name"] for c in inspector.get_columns(table.name)),
            sorted(str(i["name"]) for i in inspector.get_indexes(table.name)),
            sorted(str(c["name"]) for c in inspector.get_check_constraints(table.name)),
        )
        for table in [*tables.metadata.sorted_tables, tables.tax_payments]
    }


def test_migrations_3_to_5_upgrade_an_old_database_to_the_new_shape(
    old_engine: Engine, engine: Engine, ledger: Ledger
) -> None:
    assert migrate(old_engine) == [3, 4, 5]
    assert migrate(old_engine) == []
    assert shape(old_engine) == shape(engine)  # `engine` was migrated from nothing

    with old_engine.connect() as conn:
        programme = conn.execute(select(tables.programmes)).mappings().one()
        payment = conn.execute(select(tables.payments)).mappings().one()
    assert (programme["benefit_scheme"], programme["remaining_tyiyn"]) == ("", 900)
    # A programme from before migration 5 names no wallet to pay from: it cannot pay.
    assert (programme["source_wallet_id"], programme["ledger_account_id"]) == ("", "2")
    assert (payment["pin"], payment["status"], payment["attempt"], payment["transfer_id"]) == (
        OLD_PIN,
        "paid",
        0,
        "a" * 32,
    )
    same_period = {k: v for k, v in payment.items() if k != "seq"} | {"run_id": "run_old", "line": 3}
    for bad in ({"status": "refunded"}, {"attempt": -1}):
        with pytest.raises(IntegrityError), old_engine.begin() as conn:
            conn.execute(update(tables.payments).values(**bad))
    with pytest.raises(IntegrityError), old_engine.begin() as conn:
        conn.execute(tables.payments.insert().values(**same_period))  # once per period still holds
    with old_engine.begin() as conn:
        conn.execute(update(tables.payments).values(status=PaymentStatus.RETURNED.value, reason="wallet closed"))

    # The upgraded database runs the whole flow.
    service, _ = build(old_engine, ledger)
    run_id = approved_run(service)
    service.execute(run_id)
    returned = service.record_return(TREASURY_CLERK, run_id, pin(1), "wallet closed", "r1")
    assert returned.attempt == 0
