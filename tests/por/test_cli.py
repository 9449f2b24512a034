"""`digisom por build | prove | verify` end to end: a customer's proof verifies, a changed
one or one against another root exits 1 naming why, bad input exits 2 with nothing built."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from digisom.cli.main import app

runner = CliRunner()


def _build(tmp_path: Path, name: str, rows: str) -> tuple[Path, dict[str, object]]:
    csv = tmp_path / f"{name}.csv"
    csv.write_text("customer_id,balance\n" + rows)
    result = runner.invoke(app, ["por", "build", "--csv", str(csv), "--asset", "KGST", "--out", str(tmp_path / name)])
    assert result.exit_code == 0, result.output
    root = json.loads(result.stdout)
    assert root == json.loads((tmp_path / name / "root.json").read_text())
    return tmp_path / name, root


def test_build_prove_verify(tmp_path: Path) -> None:
    out, root = _build(tmp_path, "ex", "alice,100\nbob,250\ncarol,0\n")
    assert root["total"] == 350
    assert root["leaves"] == 3
    assert root["depth"] == 2
    result = runner.invoke(app, ["por", "prove", "--out", str(out), "--customer", "bob",
                                 "--binary", str(tmp_path / "bob.bin")])
    assert result.exit_code == 0, result.output
    proof = json.loads(result.stdout)
    assert proof["balance"] == 250
    (tmp_path / "bob.json").write_text(result.stdout)
    ok = runner.invoke(app, ["por", "verify", str(tmp_path / "bob.json"), "--root", str(out / "root.json")])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["valid"] is True
    assert len((tmp_path / "bob.bin").read_bytes()) == 31 + 3 + 40 * 2
    binary = runner.invoke(app, ["por", "verify", str(tmp_path / "bob.bin"), "--root", str(out / "root.json")])
    assert binary.exit_code == 0, binary.output

    (tmp_path / "bad.json").write_text(json.dumps({**proof, "balance": 251}))
    bad = runner.invoke(app, ["por", "verify", str(tmp_path / "bad.json"), "--root", str(out / "root.json")])
    assert bad.exit_code == 1
    assert "proof does not verify" in bad.output

    other, _ = _build(tmp_path, "other", "alice,100\nbob,250\ncarol,0\n")
    wrong = runner.invoke(app, ["por", "verify", str(tmp_path / "bob.json"), "--root", str(other / "root.json")])
    assert wrong.exit_code == 1
    assert "another root" in wrong.output

    unknown = runner.invoke(app, ["por", "prove", "--out", str(out), "--customer", "mallory"])
    assert unknown.exit_code == 2
    assert "no customer 'mallory'" in unknown.output


def test_bad_csv_exits_2_and_builds_nothing(tmp_path: Path) -> None:
    csv = tmp_path / "b.csv"
    csv.write_text("customer_id,balance\nalice,10\nbob,-5\n")
    result = runner.invoke(app, ["por", "build", "--csv", str(csv), "--asset", "KGST", "--out", str(tmp_path / "t")])
    assert result.exit_code == 2
    assert "line 3: negative balance -5" in result.output
    assert not (tmp_path / "t").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["b.csv"]


def test_build_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    out, _ = _build(tmp_path, "ex", "alice,1\n")
    csv = tmp_path / "ex.csv"
    again = runner.invoke(app, ["por", "build", "--csv", str(csv), "--asset", "KGST", "--out", str(out)])
    assert again.exit_code == 2
    assert "not an empty directory" in again.output
