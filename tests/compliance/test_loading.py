"""List files load whole or not at all, with a version and a date; bad ones name their line."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest

from digisom.compliance.errors import ListFileTooLarge, ListParseError
from digisom.compliance.ftm import load_ftm
from digisom.compliance.loading import load_list
from digisom.compliance.ofac import load_ofac


def test_ftm_keeps_screened_schemas_and_targets_with_version_and_date(ftm_file: Path) -> None:
    listed = load_ftm(ftm_file)
    assert listed.version == hashlib.sha256(ftm_file.read_bytes()).hexdigest()
    assert listed.list_date == date(2026, 11, 30)
    by_id = {entity.entity_id: entity for entity in listed.entities}
    assert set(by_id) == {"kg-person-1", "kg-company-1", "wallet-1", "wallet-2"}  # no Sanction, no non-target
    assert by_id["kg-person-1"].names == ("Жээнбеков Сооронбай Шарипович", "Sooronbai Jeenbekov")  # no weakAlias
    assert by_id["wallet-1"].addresses == ("0xAbCdef0123456789abcdef0123456789ABCDEF01",)
    assert by_id["wallet-1"].caption == "kg-company-1"


@pytest.mark.parametrize(("bad_line", "reason"), [
    ("{not json", "not JSON"),
    ('["a list"]', "not a JSON object"),
    ('{"schema": "Person", "properties": {}}', "no entity id"),
    ('{"id": "x", "schema": "Person", "properties": {"name": "not a list"}}', "not a list of strings"),
    ('{"id": "x", "schema": "Person", "properties": {"name": [1]}}', "not a list of strings"),
    ('{"id": "x", "schema": "Person", "properties": {"a": ' + "[" * 50 + "]" * 50 + "}}", "deeper"),
])  # fmt: skip
def test_a_bad_ftm_line_is_named_and_nothing_loads(ftm_file: Path, bad_line: str, reason: str) -> None:
    lines = ftm_file.read_text(encoding="utf-8").splitlines()
    lines.insert(2, bad_line)
    ftm_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ListParseError) as raised:
        load_ftm(ftm_file)
    assert raised.value.line == 3
    assert reason in raised.value.reason


def test_ftm_limits(ftm_file: Path) -> None:
    with pytest.raises(ListFileTooLarge):
        load_ftm(ftm_file, bytes_max=100)
    with pytest.raises(ListFileTooLarge):
        load_ftm(ftm_file, entities_max=2)
    many_names = {"id": "x", "schema": "Person", "properties": {"name": [f"n{i}" for i in range(501)]}}
    ftm_file.write_text(json.dumps(many_names) + "\n", encoding="utf-8")
    with pytest.raises(ListFileTooLarge):
        load_ftm(ftm_file)


def test_ofac_sdn_alt_add_and_digital_currency_addresses(sdn_file: Path) -> None:
    listed = load_ofac(sdn_file, as_of=date(2026, 12, 1))
    parts = [(sdn_file.parent / name).read_bytes() for name in ("sdn.csv", "alt.csv", "add.csv")]
    assert listed.version == hashlib.sha256(b"".join(hashlib.sha256(part).digest() for part in parts)).hexdigest()
    assert listed.list_date == date(2026, 12, 1)
    by_id = {entity.entity_id: entity for entity in listed.entities}
    assert by_id["ofac-36"].schema == "Organization"
    person = by_id["ofac-9001"]
    assert person.schema == "Person"
    assert person.names == ("TOKTOGULOV, Almazbek Kubanychbekovich", "Токтогулов Алмазбек")
    assert person.addresses == ("0x1111111111111111111111111111111111111111", "TQn9Y2khEsLJW1ChVWFMSMeRDow5KcbLSE",
                                "1BoatSLRHtKNngkdXEeobR76b53LETtpyT")
    assert person.birth_dates == ("12 Jan 1970",)
    assert person.countries == ("Kyrgyzstan",)
    assert by_id["ofac-9002"].names == ("GRINEX EXCHANGE", "GARANTEX EUROPE")


def test_ofac_without_alt_and_add_and_a_folder_works(sdn_file: Path) -> None:
    (sdn_file.parent / "alt.csv").unlink()
    (sdn_file.parent / "add.csv").unlink()
    listed = load_list(sdn_file.parent)
    assert {entity.entity_id for entity in listed.entities} == {"ofac-36", "ofac-9001", "ofac-9002"}


NULLS = "-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- "


@pytest.mark.parametrize(("file", "content", "line", "reason"), [
    ("sdn.csv", '1,"A",-0- ,"P",-0- \n', 1, "5 columns"),
    ("sdn.csv", f'1,"A",-0- ,"P",{NULLS}\nx,"B",-0- ,"P",{NULLS}\n',
     2, "not a number"),
    ("sdn.csv", f'1,"A",-0- ,"P",{NULLS}\n1,"A",-0- ,"P",{NULLS}\n',
     2, "twice"),
    ("sdn.csv", '1,"A","robot","P",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n', 1, "SDN_Type"),
    ("alt.csv", '9001,101,"aka","X",-0- \n424242,102,"aka","Y",-0- \n', 2, "not in sdn.csv"),
    ("add.csv", '9001,201,-0- ,"Bishkek"\n', 1, "4 columns"),
])  # fmt: skip
def test_a_bad_ofac_row_is_named_and_nothing_loads(sdn_file: Path, file: str, content: str, line: int,
                                                   reason: str) -> None:
    (sdn_file.parent / file).write_text(content, encoding="utf-8")
    with pytest.raises(ListParseError) as raised:
        load_ofac(sdn_file)
    assert (raised.value.source, raised.value.line) == (file, line)
    assert reason in raised.value.reason


def test_a_missing_file_is_a_typed_error(tmp_path: Path) -> None:
    with pytest.raises(ListParseError):
        load_list(tmp_path / "absent.json")
