"""`digisom compliance screen`: one JSON object per subject; bad files exit 2."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from digisom.cli.main import app

RUNNER = CliRunner()


def screen(*args: str) -> tuple[int, str]:
    result = RUNNER.invoke(app, ["compliance", "screen", *args])
    return result.exit_code, result.output


def test_a_name_against_two_lists(ftm_file: Path, sdn_file: Path) -> None:
    code, out = screen("--list", str(ftm_file), "--list", str(sdn_file), "--name", "Zheenbekov Sooronbay",
                       "--schema", "Person")
    assert code == 0, out
    answer = json.loads(out)
    assert answer["decision"] == "hit"
    assert answer["matches"][0] == {"id": "kg-person-1", "caption": "Жээнбеков Сооронбай Шарипович", "score": "1.000"}


def test_an_address(ftm_file: Path) -> None:
    code, out = screen("--list", str(ftm_file), "--address", "0xabcdef0123456789abcdef0123456789abcdef01")
    assert (code, json.loads(out)["decision"]) == (0, "hit")
    code, out = screen("--list", str(ftm_file), "--address", "0x" + "9" * 40)
    assert json.loads(out) == {"decision": "clear", "matches": []}


def test_a_names_file_answers_each_line_and_a_bad_line_exits_2(ftm_file: Path, tmp_path: Path) -> None:
    names = tmp_path / "names.jsonl"
    names.write_text('{"name": "Old Vector LLC", "schema": "Organization"}\n{"name": "Nobody Atall"}\n'
                     '{"nom": 1}\n{"name": "X", "schema": "Vessel"}\n', encoding="utf-8")
    code, out = screen("--list", str(ftm_file), "--names-file", str(names))
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 2
    assert [line.get("decision") for line in lines] == ["hit", "clear", None, None]
    assert [line.get("line") for line in lines[2:]] == [3, 4]


def test_a_bad_list_file_exits_2_naming_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": "a", "schema": "Person", "properties": {}}\n{oops\n', encoding="utf-8")
    code, out = screen("--list", str(bad), "--name", "Anyone")
    assert code == 2
    assert "line 2" in out


def test_one_subject_exactly(ftm_file: Path) -> None:
    assert screen("--list", str(ftm_file))[0] == 2
    assert screen("--list", str(ftm_file), "--name", "a", "--address", "b")[0] == 2
    assert screen("--list", str(ftm_file), "--name", "a", "--schema", "Vessel")[0] == 2
