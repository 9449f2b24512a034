"""`digisom log checkpoint`: signs a head of what was published; again with nothing new, the same head."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from digisom.cli.main import app


def test_checkpoint_prints_a_signed_head_and_is_idempotent(tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["log", "checkpoint", "--data", str(tmp_path / "data")])
    assert first.exit_code == 0, first.output
    head = json.loads(first.output.strip().splitlines()[-1])
    assert head["tree_size"] == 2  # the issuance report and the journal's head of an empty platform
    again = runner.invoke(app, ["log", "checkpoint", "--data", str(tmp_path / "data")])
    assert json.loads(again.output.strip().splitlines()[-1]) == head
