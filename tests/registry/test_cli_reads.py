"""`digisom register seed/list/show/history/export` and `digisom vasp list/show` through the
top-level CLI (lazily loaded), on a data folder as `digisom serve --data` would use it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from digisom.cli.main import app


def _run(*args: str, code: int = 0) -> Any:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, result.output
    return json.loads(result.stdout) if code == 0 and result.stdout.lstrip().startswith("{") else result


def test_seed_then_read_the_register_and_verify_its_export(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    seeded = _run("register", "seed", "--data", data)
    assert seeded["vasps"] >= 100 and seeded["assets"] == ["KGST", "USDKG"]
    assert _run("register", "seed", "--data", data)["events"] == seeded["events"]  # again: nothing added
    symbols = [e["symbol"] for e in _run("register", "list", "--data", data)["items"]]
    assert symbols == ["KGST", "USDKG"]
    usdkg = _run("register", "show", "USDKG", "--data", data)
    assert (usdkg["status"], [c["chain_id"] for c in usdkg["chains"]]) == ("registered", [1, 56])
    kinds = [e["kind"] for e in _run("register", "history", "USDKG", "--data", data)["items"]]
    assert kinds[0] == "asset.applied" and "asset.status" in kinds
    licences = _run("vasp", "list", "--data", data)["items"]
    assert len(licences) == seeded["licences"] >= 100
    (revoked,) = _run("vasp", "list", "--status", "revoked", "--data", data)["items"]
    shown = _run("vasp", "show", revoked["vasp_id"], "--data", data)
    assert shown["status"] == "revoked" and shown["licence"]["status_reason"]
    out = tmp_path / "export.json"
    _run("register", "export", "--data", data, "--out", str(out), code=0)
    export = json.loads(out.read_text())
    assert export["public_key"] == seeded["public_key"] and len(export["events"]) == seeded["events"]
    result = _run("register", "verify", str(out), "--key", export["public_key"])
    assert f"ok: {seeded['events']} events" in result.stdout


def test_an_unknown_symbol_or_vasp_exits_1_naming_it(tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    assert "no asset 'NOPE'" in _run("register", "show", "NOPE", "--data", data, code=1).output
    assert "no such VASP" in _run("vasp", "show", "vasp-nowhere", "--data", data, code=1).output
    assert "no service key" in _run("register", "export", "--data", data, code=1).output
    assert _run("vasp", "list", "--status", "pending", "--data", data, code=2).exit_code == 2
