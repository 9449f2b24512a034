"""`digisom disburse` on a data folder: programme, upload, approve, run (progress bar),
report; a refused file prints its row-level report and exits 2; other refusals exit 1
with one line and no traceback."""

from __future__ import annotations

import csv
import functools
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from digisom.api.runtime import build
from digisom.cbdc.accounts import AccountCode, bank_account_id, wallet_account_id
from digisom.cli import disburse as disburse_cli
from digisom.cli.main import app
from digisom.disbursement.reconciliation import CSV_COLUMNS
from tests.api.disbursement_fakes import FakeResolver, FakeTarget
from tests.api.world import AYIL, SOM, World

PAYEES = 5  # the first a wallet, the rest paid to their bank (Ayil Bank's float)


def pin(n: int) -> str:
    return f"{31_000_000_000_000 + n:014d}"


def cli(data: Path, *args: str) -> Result:
    return CliRunner().invoke(app, ["disburse", *args, "--data", str(data)])


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder with banks and a funded treasury wallet; the alias directory a fake."""
    folder = tmp_path / "data"
    runtime = build(data_dir=folder)
    try:
        world = World.create(runtime).setup()
        pensioner = world.wallets["pensioner"]
        treasury = world.wallets["treasury"]
    finally:
        runtime.close()
    resolver = FakeResolver({pin(0): FakeTarget("wallet", wallet_account_id(pensioner), AYIL, pensioner)})
    for n in range(1, PAYEES):
        resolver.targets[pin(n)] = FakeTarget("bank_account", bank_account_id(AYIL, AccountCode.BANK_FLOAT), AYIL)
    monkeypatch.setattr(disburse_cli, "build", functools.partial(build, alias_resolver=resolver))
    created = cli(folder, "programme", "pensions", "--name", "Pensions", "--source-wallet", treasury,
                  "--budget-tyiyn", str(50_000 * SOM))
    assert created.exit_code == 0, created.output
    return folder


def payment_file(tmp_path: Path, rows: list[str] | None = None) -> Path:
    path = tmp_path / "pensions.csv"
    lines = rows if rows is not None else [f"{pin(n)},{1_000 + n}.50,Pensioner {n},Naryn" for n in range(PAYEES)]
    path.write_text("pin,amount,name,region\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def upload(data: Path, file: Path, key: str = "pensions-2026-11") -> Result:
    return cli(data, "upload", str(file), "--programme", "pensions", "--period", "2026-11",
               "--operator", "treasury-clerk", "--key", key)


def test_upload_approve_run_and_report(data: Path, tmp_path: Path) -> None:
    uploaded = upload(data, payment_file(tmp_path))
    assert uploaded.exit_code == 0, uploaded.output
    run_id = uploaded.output.split()[0]
    assert f"{PAYEES} payees" in uploaded.output and "uploaded" in uploaded.output
    assert upload(data, payment_file(tmp_path)).output == uploaded.output  # the same key and file: the same run

    own = cli(data, "approve", run_id, "--operator", "treasury-clerk")
    assert own.exit_code == 1 and "may not approve" in own.output and "Traceback" not in own.output
    early = cli(data, "run", run_id)
    assert early.exit_code == 1 and "approved first" in early.output
    approved = cli(data, "approve", run_id, "--operator", "treasury-supervisor")
    assert approved.exit_code == 0 and "approved" in approved.output

    paid = cli(data, "run", run_id, "--batch-size", "2")
    assert paid.exit_code == 0, paid.output
    total_tyiyn = sum((1_000 + n) * SOM + 50 for n in range(PAYEES))
    assert f"completed: paid {PAYEES} ({total_tyiyn} tyiyn), unclaimed 0, rejected 0, batches 3" in paid.output
    assert f"{PAYEES}/{PAYEES}" in paid.output  # the progress bar's payees done / total

    as_csv = cli(data, "report", run_id)
    assert as_csv.exit_code == 0
    assert as_csv.output.splitlines()[0] == ",".join(CSV_COLUMNS)
    assert [r["status"] for r in csv.DictReader(io.StringIO(as_csv.output))] == ["paid"] * PAYEES
    out = tmp_path / "report.json"
    as_json = cli(data, "report", run_id, "--format", "json", "--out", str(out))
    assert as_json.exit_code == 0 and f"{PAYEES} payees" in as_json.output
    document = json.loads(out.read_text(encoding="utf-8"))
    assert document["summary"]["paid"] == {"count": PAYEES, "amount_tyiyn": str(total_tyiyn)}


def test_a_refused_file_prints_its_report_and_exits_2(data: Path, tmp_path: Path) -> None:
    rows = [f"{pin(0)},100,Pensioner,Naryn", f"{pin(1)},12.345,Widow,Naryn", "123,100,Nobody,Osh"]
    refused = upload(data, payment_file(tmp_path, rows))
    assert refused.exit_code == 2, refused.output
    assert "refused: 2 errors; nothing was recorded" in refused.output
    assert "line 3: too_many_decimals" in refused.output
    assert "line 4: invalid_pin" in refused.output
    assert "Traceback" not in refused.output
    # Nothing was recorded: the corrected file under a new key is accepted.
    assert upload(data, payment_file(tmp_path), key="pensions-2026-11-b").exit_code == 0


def test_unknown_things_are_one_line_errors(data: Path, tmp_path: Path) -> None:
    for args in (("approve", "run_nothing", "--operator", "x"), ("run", "run_nothing"), ("report", "run_nothing")):
        result = cli(data, *args)
        assert result.exit_code == 1 and result.output.strip() == "error: no run 'run_nothing'"
    wrong = cli(data, "upload", str(payment_file(tmp_path)), "--programme", "pensions", "--period", "2026-13",
                "--operator", "treasury-clerk", "--key", "k")
    assert wrong.exit_code == 1 and "YYYY-MM" in wrong.output


def test_return_and_repay(data: Path, tmp_path: Path) -> None:
    run_id = upload(data, payment_file(tmp_path)).output.split()[0]
    assert cli(data, "approve", run_id, "--operator", "treasury-supervisor").exit_code == 0
    assert cli(data, "run", run_id).exit_code == 0
    returned = cli(data, "return", run_id, "--pin", pin(1), "--reason", "account_closed", "--operator", "ayil-ops",
                   "--key", "r1")
    assert returned.exit_code == 0, returned.output
    assert f"{1_001 * SOM + 50} tyiyn to {pin(1)} returned (account_closed)" in returned.output
    twice = cli(data, "return", run_id, "--pin", pin(1), "--reason", "account_closed", "--operator", "ayil-ops",
                "--key", "r2")
    assert twice.exit_code == 1 and "Traceback" not in twice.output
    repaid = cli(data, "repay", run_id, "--operator", "treasury-clerk", "--key", "p1")
    assert repaid.exit_code == 0, repaid.output
    assert f"1 recipients, {1_001 * SOM + 50} tyiyn" in repaid.output and "completed" in repaid.output
    report = cli(data, "report", run_id)
    line = next(r for r in csv.DictReader(io.StringIO(report.output)) if r["pin"] == pin(1))
    assert (line["status"], line["attempt"]) == ("paid", "1")
