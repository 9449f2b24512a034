"""The CLI loads a command's modules only when that command runs: the ledger's machine
interface never imports the API, a domain or the EVM stack (issue 14)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from digisom.cli.main import app

HEAVY = ("fastapi", "digisom.api", "digisom.cbdc", "digisom.disbursement", "digisom.offline", "digisom.interbank",
         "digisom.stablecoin", "digisom.usdkg", "eth_account", "boa")

PROBE = """
import json, sys
from typer.testing import CliRunner
from digisom.cli.main import app
result = CliRunner().invoke(app, ["ledger", "verify", "--db", sys.argv[1]])
print(json.dumps({"exit": result.exit_code, "loaded": [m for m in sys.argv[2:] if m in sys.modules]}))
"""


def test_ledger_verify_loads_no_api_no_domain_and_no_evm(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-c", PROBE, f"sqlite:///{tmp_path / 'ledger.db'}", *HEAVY],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    answer = json.loads(out.strip().splitlines()[-1])
    assert answer == {"exit": 0, "loaded": []}


def test_every_lazy_command_loads_and_keeps_its_sub_commands() -> None:
    for name, sub_command in (("token", "issue"), ("token", "revocations"), ("disburse", "upload"), ("offline", "sync"),
                              ("interbank", "submit"), ("chain", "deploy"), ("usdkg", "audit"), ("serve", None),
                              ("compliance", "screen"), ("console", "sessions")):
        result = CliRunner().invoke(app, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)
        if sub_command:
            assert sub_command in result.output, (name, result.output)
