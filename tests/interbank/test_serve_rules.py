"""`digisom serve --lsm-rules` picks the RTGS's settlement rules by name; an unknown name
stops the command before anything is opened."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from digisom.api.workers import ServeSettings
from digisom.cli.main import app
from digisom.http.services import filled
from digisom.interbank.http.slots import RTGS
from digisom.interbank.lsm import LSM_REORDER_RULES, LSM_RULES


@pytest.mark.parametrize(("name", "rules"), [("lsm", LSM_RULES), ("lsm-reorder", LSM_REORDER_RULES)])
def test_the_served_rtgs_settles_by_the_named_rules(tmp_path: Path, name: str, rules: object) -> None:
    runtime = ServeSettings(str(tmp_path), None, None, None, None, lsm_rules=name).build_runtime()
    try:
        assert filled(runtime.app, RTGS).get().ctx.rules == rules
    finally:
        runtime.close()


def test_an_unknown_rule_set_is_refused_and_nothing_is_opened(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--data", str(tmp_path / "data"), "--lsm-rules", "fastest"])
    assert result.exit_code == 2
    assert "--lsm-rules must be one of gross, lsm, lsm-reorder" in result.output
    assert not (tmp_path / "data").exists()
