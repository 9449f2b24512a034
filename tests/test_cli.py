"""The ledger's machine interface: JSON lines in, one JSON line out per input line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from digisom.cli.main import app

runner = CliRunner()


def run(args: list[str], stdin: str = "") -> tuple[int, list[dict[str, object]]]:
    result = runner.invoke(app, args, input=stdin)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    return result.exit_code, lines


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


def accounts_jsonl() -> str:
    rows = [
        {"id": "1", "ledger": 417, "code": 1, "flags": []},  # central bank
        {"id": "2", "ledger": 417, "code": 2, "flags": ["debits_must_not_exceed_credits", "history"]},  # pensioner
        {"id": "3", "ledger": 417, "code": 2, "flags": ["debits_must_not_exceed_credits"]},  # merchant
    ]
    return "\n".join(json.dumps(row) for row in rows) + "\n"


def test_create_accounts_transfers_lookup_and_verify(db: str) -> None:
    code, lines = run(["ledger", "create-accounts", "--db", db], accounts_jsonl())
    assert code == 0
    assert lines == [{"index": i, "result": "ok"} for i in range(3)]
    transfers = [
        {"id": "10", "debit_account_id": "1", "credit_account_id": "2", "amount": "5000", "ledger": 417, "code": 1},
        {"id": "11", "debit_account_id": "2", "credit_account_id": "3", "amount": "1200", "ledger": 417, "code": 1,
         "flags": ["pending"], "timeout_s": 60},
        {"id": "12", "pending_id": "11", "amount": "340282366920938463463374607431768211455",
         "flags": ["post_pending_transfer"]},
        {"id": "13", "debit_account_id": "2", "credit_account_id": "3", "amount": "999999", "ledger": 417, "code": 1},
    ]
    code, lines = run(["ledger", "create-transfers", "--db", db, "--batch-size", "2"],
                      "\n".join(json.dumps(t) for t in transfers) + "\n")
    assert code == 0
    assert [line["result"] for line in lines] == ["ok", "ok", "ok", "exceeds_credits"]
    assert [line["index"] for line in lines] == [0, 1, 2, 3]
    code, lines = run(["ledger", "lookup-accounts", "--db", db, "--", "2", "3", "99", "-1"])
    assert lines == [
        {"id": "2", "debits_pending": "0", "debits_posted": "1200", "credits_pending": "0", "credits_posted": "5000"},
        {"id": "3", "debits_pending": "0", "debits_posted": "0", "credits_pending": "0", "credits_posted": "1200"},
        {"id": "99", "result": "not_found"},
        {"id": "-1", "result": "invalid_integer"},
    ]
    code, lines = run(["ledger", "verify", "--db", db])
    assert code == 0 and lines[0]["ok"] is True and lines[0]["transfers"] == 3


@pytest.mark.parametrize(
    ("line", "result"),
    [
        ("not json", "malformed"),
        ("[1, 2]", "malformed"),
        ('{"debit_account_id": "1"}', "malformed"),  # no id
        ('{"id": "20", "debit_account_id": "1", "credit_account_id": "2", "amount": "-5", "ledger": 417, "code": 1}',
         "invalid_integer"),
        ('{"id": "20", "debit_account_id": "1", "credit_account_id": "2", "amount": 1.5, "ledger": 417, "code": 1}',
         "invalid_integer"),
        ('{"id": "20", "debit_account_id": "1", "credit_account_id": "2",'
         ' "amount": "340282366920938463463374607431768211456", "ledger": 417, "code": 1}', "invalid_integer"),
        ('{"id": "0", "debit_account_id": "1", "credit_account_id": "2", "amount": "5", "ledger": 417, "code": 1}',
         "id_must_not_be_zero"),
        ('{"id": "20", "debit_account_id": "1", "credit_account_id": "2", "amount": "5", "ledger": 417, "code": 1,'
         ' "flags": ["teleport"]}', "unknown_flag"),
        ('{"id": "20", "debit_account_id": "1", "credit_account_id": "2", "amount": "5", "ledger": 840, "code": 1}',
         "transfer_must_have_the_same_ledger_as_accounts"),
        ('{"id": "20", "debit_account_id": "1", "credit_account_id": "2", "amount": "5", "ledger": 417, "code": 1,'
         ' "pad": "' + "x" * 5000 + '"}', "malformed"),
    ],
)
def test_bad_lines_get_a_typed_result_and_the_rest_of_the_batch_goes_on(db: str, line: str, result: str) -> None:
    run(["ledger", "create-accounts", "--db", db], accounts_jsonl())
    good = json.dumps({"id": "30", "debit_account_id": "1", "credit_account_id": "3", "amount": "7", "ledger": 417,
                       "code": 1})
    code, lines = run(["ledger", "create-transfers", "--db", db], line + "\n" + good + "\n")
    assert code == 0
    assert [(row["index"], row["result"]) for row in lines] == [(0, result), (1, "ok")]
    if result in ("malformed", "invalid_integer", "unknown_flag"):
        assert isinstance(lines[0]["error"], str) and lines[0]["error"]
    _, balances = run(["ledger", "lookup-accounts", "--db", db, "2", "3"])
    assert balances[0]["credits_posted"] == "0"  # nothing half-written from the bad line
    assert balances[1]["credits_posted"] == "7"


def test_a_bad_line_fails_the_linked_chain_it_stands_in(db: str) -> None:
    run(["ledger", "create-accounts", "--db", db], accounts_jsonl())
    linked = json.dumps({"id": "40", "debit_account_id": "1", "credit_account_id": "3", "amount": "7", "ledger": 417,
                         "code": 1, "flags": ["linked"]})
    _, lines = run(["ledger", "create-transfers", "--db", db], linked + "\n{broken\n")
    assert [row["result"] for row in lines] == ["linked_event_failed", "malformed"]
    _, balances = run(["ledger", "lookup-accounts", "--db", db, "3"])
    assert balances[0]["credits_posted"] == "0"


def test_unknown_database_url_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["ledger", "verify", "--db", "mysql://nowhere"])
    assert result.exit_code == 2
    assert "error" in result.output.lower()


def test_projecting_behind_is_refused_on_sqlite(db: str) -> None:
    result = runner.invoke(app, ["ledger", "create-transfers", "--db", db, "--project-behind"], input="")
    assert result.exit_code == 2
    assert "on PostgreSQL only" in result.output
