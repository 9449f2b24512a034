"""Every domain's schema history, on SQLite and PostgreSQL.

- From scratch, the migrations build exactly the schema `tables.py` describes (columns,
  types, nullability, defaults, keys, uniques, indexes, foreign keys, checks).
- For each version N: a database built by migrations 1..N only, with a row in every table
  (valid at N), migrates to the head with every row kept, each later column filled as
  its migration says, and rows moved where a migration moves them.
- A released migration never changes: each module's code (docstring aside) hashes to the
  value recorded below when it was released.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, inspect, select, text

from digisom import domain_migrations
from digisom.api.runtime import domain_engine
from digisom.disbursement import tables as disbursement_tables
from digisom.stores import migrate as stores_migrate

DOMAINS = ("cbdc", "disbursement", "interbank", "offline", "stablecoin", "registry", "http", "usdkg", "compliance",
           "remittance", "vasp_reports", "travelrule", "por", "merchants",
           "reserve", "transparency", "console")
# Where each domain describes its tables as they are today (the result of all its steps).
TABLES = {domain: f"digisom.{domain}.tables" for domain in DOMAINS} | {"registry": "digisom.registry.register"}

# Each released migration module (domain/module) and the digest of its text after its
# docstring (`_code_digest`).
# Never edit a value: a released migration that changes means two databases at one
# version with different schemas. A new migration adds its line here when it is released.
RELEASED = {
    "cbdc/v0001_initial": "ec4c3b46713d9d9a84dc14629100761e",
    "cbdc/v0002_aliases": "54da7efeb5c7912926b43eb8250849c3",
    "cbdc/v0003_benefits": "9f5108ff2f3aba71c21db3f1568b8b7e",
    "cbdc/v0004_alias_per_bank": "7ea6f2a89d791b04438f88a67a789517",
    "disbursement/v0001_initial": "f098ffa5e781cf10fd0b786bec13e1a5",
    "disbursement/v0002_tax_payments": "bc873162727ed11e09e7123e1fb213f9",
    "disbursement/v0003_benefits_returns": "a1cd59390f48cfb10761f97f2c58ac29",
    "disbursement/v0004_payments_in_place": "abab0b77b2579f96b9aed8e5006dcb52",
    "disbursement/v0005_source_wallets": "9a0a5631fe0950700a8494475d3f8679",
    "interbank/v0001_initial": "7773389e86bcb1f10f8302b069b95701",
    "interbank/v0002_screening_stops": "ea2bf9c473827773ab845ffe8621dbef",
    "offline/v0001_initial": "439f440179fc3d700a8f31307bc501b0",
    "offline/v0002_returns_parked_runs": "911ffb5e2fd8fdb0e89b8b2110b73d2e",
    "stablecoin/v0001_initial": "4eb3b0de12cf974de808acee21a9ed36",
    "registry/v0001_initial": "9b12bc5e6521fc89004e53d8682fc082",
    "registry/v0002_event_log": "f1be1810045591dbe738847f4cdfea31",
    "http/v0001_initial": "bbc452ff8e1654f2dc41b5a49e8ad5a3",
    "http/v0002_token_revocations": "c45f061f7a8dd5bdaaf0eb2ecca2fe17",
    "usdkg/v0001_initial": "d6db3050971a1ef4b2841f11d118c8b3",
    "usdkg/v0002_operations": "6b597f31532152ffe29636decbb3f090",
    "compliance/v0001_initial": "a46bf35fd30a666574eae46c23858d2e",
    "compliance/v0002_four_eyes": "34c90154889957bdaf93da64faaab46d",
    "remittance/v0001_initial": "077fa8f872f8f2b5cdb2b61b04950517",
    "remittance/v0002_chain_inbound": "2b700f29962f5951215a7a66bff490bb",
    "remittance/v0003_chain_inbound_order": "5a6a7e07f8bad297f98c14f796b482fd",
    "vasp_reports/v0001_initial": "0774b8bb29ca502560dd35947e77b4e0",
    "travelrule/v0001_initial": "b5079c12aa3ec9d3fb2e7cd4ef0a2160",
    "travelrule/v0002_callbacks": "3aaf52e2db97c898853153c453283c82",
    "por/v0001_initial": "689171870fcfc9b6979e0b85f09cc98f",
    "merchants/v0001_initial": "612ba21f8bf7c45eb65839d2a7e4bda3",
    "merchants/v0002_worker_indexes": "1c7fd6e6f18425968a455b774706a7dc",
    "reserve/v0001_initial": "092e6737fd441ad254b89b978791a99b",
    "transparency/v0001_initial": "896091f0fd74a7ca6657f76ee8186e0d",
    "console/v0001_sessions": "8218614e189d4d9f40f3323187a76301",
}

# Rows that differ from the generic one (`_generic_row`): what the CHECK constraints and
# foreign keys of a table need. A list gives several rows.
ROWS: dict[str, list[dict[str, Any]]] = {
    "console_sessions": [{"id_sha256": "a" * 64, "expires_at_s": 2, "revoked_at_s": None, "revoked_reason": None}],
    "http_revoked_tokens": [{"jti": "b" * 32}],
    "transparency_entries": [{"leaf_hash": "0" * 64}],
    "transparency_tree_heads": [{"root_hash": "0" * 64, "signature": "0" * 128}],
    "transparency_anchors": [{"sth_hash": "0" * 64, "tx_hash": "0x" + "0" * 64}],
    "cbdc_wallets": [{"status": "active", "tier": 0}],
    "cbdc_wallet_holds": [{"action": "freeze"}],
    "cbdc_payments": [{"status": "completed", "amount_tyiyn": 5, "refunded_tyiyn": 1}],
    "cbdc_payment_requests": [{"status": "open"}],
    "cbdc_issuance_events": [{"kind": "issue", "status": "completed"}],
    # Two numbers, registered in this order: the move keeps the order (resolution pays the earliest).
    "cbdc_aliases": [
        {"seq": 1, "personal_number": "21204199000123", "bank_account": None},
        {"seq": 2, "personal_number": "11503198500077", "wallet_id": None, "bank_account": "KG01"},
    ],
    "cbdc_alias_registrations": [{"personal_number": "21204199000123", "bank_account": None}],
    "cbdc_benefit_schemes": [{"categories": "5411", "expires_on": "2027-12-31"}],
    "disbursement_runs": [{"status": "completed", "uploaded_by": "clerk", "approved_by": "head"}],
    "disbursement_payments": [{"status": "paid", "channel": "wallet"}],
    "disbursement_returns": [{"reason": "closed"}],
    "interbank_banks": [{"bank_code": "AYIL"}, {"bank_code": "BAKAI", "bic": "BAKAKG22",
                                                "settlement_account_id": "2", "credit_line_account_id": "3"}],
    "interbank_days": [{"status": "closed"}],
    "interbank_day_banks": [{"bank_code": "AYIL", "credit_drawn_tyiyn": 3, "credit_repaid_tyiyn": 2,
                             "credit_unpaid_tyiyn": 1}],
    "interbank_messages": [{"direction": "in", "bank_code": "AYIL"}],
    "interbank_payments": [{"status": "settled", "priority": "urgent", "debtor_bank": "AYIL",
                            "creditor_bank": "BAKAI"}],
    "interbank_pledges": [{"bank_code": "AYIL"}],
    "interbank_screening_stops": [{"bank_code": "AYIL", "status": "released", "debtor_decision": "review",
                                   "creditor_decision": "clear", "officer": "officer-asel",
                                   "decided_at": "2026-12-07T10:00:00Z"}],
    "offline_runs": [{"status": "posted"}],
    "offline_payments": [{"amount_tyiyn": 2, "reserve_tyiyn": 1, "guarantee_tyiyn": 1}],
    "stablecoin_operations": [{"kind": "mint", "state": "posted"}],
    "usdkg_signers": [{"role": "custodian"}],
    "usdkg_bars": [{"status": "in_vault", "gross_moz": 400_125, "fineness_tenths": 9999, "fine_moz": 400_084}],
    "usdkg_bar_events": [{"status": "in_vault"}],
    "usdkg_movements": [{"kind": "arrive"}],
    "por_roots": [{"root_id": "ab" * 32, "total_units": "18446744073709551615", "reserves_hold": 0}],
    "reserve_proposals": [{"state": "open", "open_nonce": 0, "digest": "cd" * 32, "approvals_required": 2,
                           "time_locked": 0}],
    "reserve_approvals": [{"signature": "ef" * 65}],
    "reserve_chain_events": [{"direction": "in", "state": "posted"}],
    "compliance_screenings": [{"subject_kind": "name", "decision": "review", "score_milli": 850}],
    "compliance_reviews": [{"status": "cleared", "decided_by": "second-officer", "opened_by": "first-officer",
                            "decided_at": "2026-12-07T00:00:00.000000Z", "reason": "another person",
                            "proposed_by": "migration:before-four-eyes", "proposed_outcome": "cleared",
                            "proposed_at": "2026-12-07T00:00:00.000000Z"}],
    "compliance_review_steps": [{"action": "proposed", "outcome": "cleared"}],
    "compliance_review_releases": [{"outcome": "cleared", "status": "done", "attempts": 0}],
    "remittance_partners": [{"kind": "mto", "active": 1, "month_limit_tyiyn": 5}],
    "remittance_corridors": [{"fee_bps": 30, "fx_margin_bps": 50, "transfer_max_minor": 5,
                              "sender_month_max_minor": 10}],
    "remittance_quotes": [{"applied_e6": 1, "reference_e6": 2, "created_at": "2026-12-07T09:00:00Z",
                           "expires_at": "2026-12-07T09:15:00Z"}],
    "remittance_remittances": [{"status": "paid", "channel": "wallet", "receive_tyiyn": 3, "to_wallet_tyiyn": 2,
                                "waterfall_tyiyn": 1, "to_bank_tyiyn": 0}],
    "remittance_screenings": [{"party": "sender", "decision": "clear"}],
    "remittance_reviews": [{"decision": "clear"}],
    "remittance_fundings": [{"kind": "prefund"}],
    "remittance_chain_inbound": [{"decision": "hit", "status": "stopped", "log_index": 0}],
    "travelrule_inquiries": [{"party_role": "partner", "beneficiary_address": "", "threshold_usd_cents": 2,
                              "status": "approved", "reason": "", "tx_reference": ""}],
    "travelrule_screenings": [{"decision": "clear"}],
    "travelrule_callbacks": [{"url": "https://partner.example/cb", "status": "delivered", "attempts": 1,
                              "delivered_at": "2026-12-07T10:00:00.000000Z"}],
    "usdkg_audits": [{"signature": None, "signed_at": None, "resolution": None, "resolution_signature": None,
                      "resolved_at": None}],
    "usdkg_operations": [{"kind": "mint", "state": "done"}],
    "registry_events": [{"prev_hash": "0" * 64, "hash": "a" * 64}],
    "registry_reviews": [{"decision": "grant", "proposed_by": "registrar-a", "approved_by": "registrar-b"}],
    # A first version and its amendment (version 2 names version 1).
    "vasp_reports_versions": [{"version": 1, "supersedes": None, "reason": "", "channel": "api", "late": 0},
                              {"version": 2, "supersedes": 1, "reason": "corrected", "channel": "csv", "late": 1}],
}

# What a row from before a column existed holds in it after the migration that added it.
ADDED_LATER: dict[tuple[str, str], object] = {
    ("disbursement_programmes", "benefit_scheme"): "",  # migration 3: ordinary cash
    ("disbursement_payments", "attempt"): 0,  # migration 3: the run's own payment
    ("disbursement_programmes", "source_wallet_id"): "",  # migration 5: names no wallet, refused at execution
    # compliance migration 2: a review decided by one officer before four eyes says so, with its outcome and time
    ("compliance_reviews", "proposed_by"): "migration:before-four-eyes",
    ("compliance_reviews", "proposed_outcome"): "cleared",
    ("compliance_reviews", "proposed_at"): "2026-12-07T00:00:00.000000Z",
}

# Tables a migration replaces: old name -> (new name, columns not carried over as they were).
MOVED: dict[str, tuple[str, frozenset[str]]] = {
    "cbdc_aliases": ("cbdc_alias_registrations", frozenset({"seq"})),  # migration 4: per bank
}


def _package(domain: str) -> ModuleType:
    return importlib.import_module(f"digisom.{domain}.migrations")


def _steps(domain: str) -> tuple[domain_migrations.Migration, ...]:
    steps: tuple[domain_migrations.Migration, ...] = _package(domain).MIGRATIONS
    return steps


def _migrate(engine: Engine, domain: str, up_to: int | None = None) -> list[int]:
    applied: list[int] = _package(domain).migrate(engine, up_to=up_to)
    return applied


HISTORY = [(domain, step.version) for domain in DOMAINS for step in _steps(domain)]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Engine]]:
    """Makes engines on fresh, empty databases of one dialect."""
    engines: list[Engine] = []
    # Resolved here, not mid-test: a fixture set up inside a test upsets other plugins' teardown.
    postgres_databases = request.getfixturevalue("postgres_databases") if request.param == "postgres" else None

    def make() -> Engine:
        if postgres_databases is not None:
            url: str = postgres_databases()
        else:
            url = f"sqlite:///{tmp_path / f'db{len(engines)}.db'}"
        engines.append(domain_engine(url))
        return engines[-1]

    yield make
    for engine in engines:
        engine.dispose()


def _shape(engine: Engine) -> dict[str, dict[str, object]]:
    """Everything about each table that a migration can get wrong, in comparable form."""
    inspector = inspect(engine)
    shape: dict[str, dict[str, object]] = {}
    for name in sorted(inspector.get_table_names()):
        if name.endswith("_schema_migrations"):
            continue
        shape[name] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c.get("default")) for c in inspector.get_columns(name)
            ],
            "primary key": inspector.get_pk_constraint(name)["constrained_columns"],
            "uniques": sorted((tuple(u["column_names"]), u["name"]) for u in inspector.get_unique_constraints(name)),
            "indexes": sorted(
                (str(i["name"]), tuple(str(c) for c in i["column_names"]), i["unique"])
                for i in inspector.get_indexes(name)
            ),
            "foreign keys": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]), str(f["name"]))
                for f in inspector.get_foreign_keys(name)
            ),
            "checks": sorted((str(c["name"]), c["sqltext"]) for c in inspector.get_check_constraints(name)),
        }
    return shape


def _tables_metadata(domain: str) -> MetaData:
    metadata: MetaData = importlib.import_module(TABLES[domain]).metadata
    return metadata


@pytest.mark.parametrize("domain", DOMAINS)
def test_migrations_from_scratch_build_exactly_what_tables_py_describes(
    domain: str, new_engine: Callable[[], Engine]
) -> None:
    migrated, described = new_engine(), new_engine()
    assert _migrate(migrated, domain) == [step.version for step in _steps(domain)]
    assert _migrate(migrated, domain) == []
    _tables_metadata(domain).create_all(described)
    assert _shape(migrated) == _shape(described)


@pytest.mark.postgres
def test_payments_table_leaves_room_for_in_place_updates(postgres_url: str) -> None:
    """Migration 4's fillfactor, which `tables.py` states only as a constant."""
    engine = domain_engine(postgres_url)
    try:
        _migrate(engine, "disbursement")
        with engine.connect() as conn:
            query = text("SELECT reloptions FROM pg_class WHERE relname = :name")
            options = conn.execute(query, {"name": disbursement_tables.payments.name}).scalar_one()
        assert options == [f"fillfactor={disbursement_tables.PAYMENTS_FILLFACTOR}"]
    finally:
        engine.dispose()


def test_a_database_at_version_2_has_the_disbursement_schema_of_release_2(new_engine: Callable[[], Engine]) -> None:
    """Version N means one schema: the tables as migrations 1 and 2 created them when 2 was
    the newest (tests/disbursement/schema_v2_*.sql, generated at that commit), not today's."""
    built, released = new_engine(), new_engine()
    _migrate(built, "disbursement", up_to=2)
    fixture = Path(__file__).parent / "disbursement" / f"schema_v2_{released.dialect.name}.sql"
    ddl = "\n".join(line for line in fixture.read_text(encoding="utf-8").splitlines() if not line.startswith("--"))
    with released.begin() as conn:
        for statement in filter(str.strip, ddl.split(";")):
            conn.execute(text(statement))
    assert _shape(built) == _shape(released)


def test_a_register_created_before_its_migrations_keeps_its_entries(new_engine: Callable[[], Engine]) -> None:
    """The register's table was created on first use, with no history: migration 1 finds it
    (IF NOT EXISTS), keeps its rows and records itself."""
    engine = new_engine()
    _tables_metadata("registry").tables["registry_assets"].create(engine)  # what `ensure_schema` did before
    seeded = _seed(engine, "registry")
    assert _migrate(engine, "registry") == [1, 2]
    assert _head_rows(engine, "registry_assets") == seeded["registry_assets"]


def _generic_row(table: Any) -> dict[str, Any]:
    """One value per column that every foreign key of the domain agrees with: every string
    "v", every number 1, every byte string b"\\x01" (so a reference finds its row)."""
    row: dict[str, Any] = {}
    for column in table.columns:
        python_type = column.type.python_type
        row[column.name] = {str: "v", int: 1, bytes: b"\x01"}[python_type]
    return row


def _seed(engine: Engine, domain: str) -> dict[str, list[dict[str, Any]]]:
    """A row (or the rows of `ROWS`) in every table of the database as it stands."""
    metadata = MetaData()
    metadata.reflect(engine, only=lambda name, _: name.startswith(domain) and not name.endswith("_migrations"))
    seeded: dict[str, list[dict[str, Any]]] = {}
    with engine.begin() as conn:
        for table in metadata.sorted_tables:
            generic = _generic_row(table)
            rows = [generic | override for override in ROWS.get(table.name, [{}])]
            conn.execute(table.insert(), rows)
            seeded[table.name] = rows
    return seeded


def _head_rows(engine: Engine, table: str) -> list[dict[str, Any]]:
    metadata = MetaData()
    metadata.reflect(engine, only=[table])
    found = metadata.tables[table]
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(found).order_by(*found.primary_key.columns))]


@pytest.mark.parametrize(("domain", "version"), HISTORY, ids=[f"{d}-v{v}" for d, v in HISTORY])
def test_a_database_at_each_version_migrates_to_the_head_with_its_rows(
    domain: str, version: int, new_engine: Callable[[], Engine]
) -> None:
    engine = new_engine()
    assert _migrate(engine, domain, up_to=version) == list(range(1, version + 1))
    seeded = _seed(engine, domain)
    head = _steps(domain)[-1].version
    assert _migrate(engine, domain) == list(range(version + 1, head + 1))

    for old_name, rows in seeded.items():
        name, not_carried = MOVED.get(old_name, (old_name, frozenset()))
        now = _head_rows(engine, name)
        expected = [{k: v for k, v in row.items() if k not in not_carried} for row in rows]
        # Rows in their order, each column as seeded, every later column as its migration fills it.
        found = [{k: row[k] for k in expected[0]} for row in now]
        assert found == expected, name
        for column in set(now[0]) - set(expected[0]) - not_carried:
            assert (name, column) in ADDED_LATER, f"{name}.{column} added later: say what old rows hold"
            assert {row[column] for row in now} == {ADDED_LATER[name, column]}, f"{name}.{column}"


def _code_digest(path: Path) -> str:
    """sha256 of the module's text after its docstring (which may be reworded; the code may not)."""
    source = path.read_text(encoding="utf-8")
    first = ast.parse(source).body[0]
    is_docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    code = source.splitlines(keepends=True)[first.end_lineno if is_docstring else 0 :]
    return hashlib.sha256("".join(code).encode()).hexdigest()[:32]


def test_released_migrations_never_change() -> None:
    root = Path(domain_migrations.__file__).parent
    found = {f"{p.parent.parent.name}/{p.stem}": _code_digest(p) for p in sorted(root.glob("*/migrations/v*.py"))}
    assert set(RELEASED) <= set(found), "a released migration was removed or renamed"
    unpinned = {path: digest for path, digest in found.items() if path not in RELEASED}
    assert not unpinned, f"pin each new migration in RELEASED: {unpinned}"
    for path, digest in RELEASED.items():
        assert found[path] == digest, f"{path} changed after its release: add a new migration instead"


# The ledger stores' own migrations (`digisom.stores.migrations.<dialect>`, plain .sql
# files run by `digisom.stores.migrate`): the sha256 of each released file, the same rule.
LEDGER_RELEASED = {
    "postgres/0001_ledger": "4158e3e2ee926bacacfd4271d6bce3df",
    "postgres/0002_ledger_totals_u256": "9703fa0f66afc860eb4f64833c0ead99",
    "postgres/0003_transfer_projection": "934e2a2b280d42644d7cbf420d4ad870",
    "sqlite/0001_ledger": "7801eb3770cdf70c18bdd92bd231a050",
    "sqlite/0002_ledger_totals_u256": "ac54b8cb47b2b6f1c761d8eb55395030",
}


def test_released_ledger_store_migrations_never_change() -> None:
    root = Path(stores_migrate.__file__).parent / "migrations"
    found = {f"{p.parent.name}/{p.stem}": hashlib.sha256(p.read_bytes()).hexdigest()[:32]
             for p in sorted(root.glob("*/*.sql"))}
    assert set(LEDGER_RELEASED) <= set(found), "a released ledger migration was removed or renamed"
    unpinned = {path: digest for path, digest in found.items() if path not in LEDGER_RELEASED}
    assert not unpinned, f"pin each new ledger migration in LEDGER_RELEASED: {unpinned}"
    for path, digest in LEDGER_RELEASED.items():
        assert found[path] == digest, f"{path} changed after its release: add a new migration instead"


@pytest.mark.parametrize("domain", DOMAINS)
def test_each_module_is_named_after_its_version(domain: str) -> None:
    steps = _steps(domain)
    modules = sorted(Path(_package(domain).__file__).parent.glob("v*.py"))
    assert [m.name[1:5] for m in modules] == [f"{s.version:04d}" for s in steps]
    assert [s.version for s in steps] == list(range(1, len(steps) + 1))


def test_the_runner_refuses_steps_out_of_order() -> None:
    first, second = _steps("cbdc")[:2]
    with pytest.raises(domain_migrations.MigrationError):
        domain_migrations.check_numbering("cbdc", [second, first])
    with pytest.raises(domain_migrations.MigrationError):
        domain_migrations.check_numbering("cbdc", [first, second, second])
