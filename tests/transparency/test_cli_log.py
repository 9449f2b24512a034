"""`digisom log checkpoint`: logs what was published and prints the signed head."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from digisom.cli.main import app


def test_checkpoint_prints_the_signed_head(tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["log", "checkpoint", "--data", str(tmp_path / "data")])
    assert first.exit_code == 0, first.output
    head = json.loads(first.output.strip().splitlines()[-1])
    assert head["tree_size"] == 2  # the issuance report and the journal's head of an empty platform
    assert len(head["signature"]) == 128 and len(head["sth_hash"]) == 64
