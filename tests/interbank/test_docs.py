"""docs/interbank.md documents every reason code the message layer can answer with."""

from __future__ import annotations

import re
from pathlib import Path

from digisom.interbank.iso20022 import MAX_INBOUND_MESSAGE_BYTES, ReasonCode
from digisom.interbank.lsm import LSM_RULES, MAX_OFFSET_CANDIDATES

DOC = Path(__file__).resolve().parents[2] / "docs" / "interbank.md"


def test_every_reason_code_is_in_the_table() -> None:
    documented = re.findall(r"^\| ([A-Z]{2}\d{2}) \| (\w+) \|", DOC.read_text(), flags=re.MULTILINE)
    assert sorted(code for code, _ in documented) == sorted(code.value for code in ReasonCode)


def test_the_documented_limits_are_the_code_s() -> None:
    text = DOC.read_text()
    assert MAX_INBOUND_MESSAGE_BYTES == 1024 * 1024
    assert "(1 MiB)" in text
    assert f"`MAX_OFFSET_CANDIDATES` = {MAX_OFFSET_CANDIDATES}" in text
    assert LSM_RULES.lsm_interval_s == 5 * 60
    assert "every 5 minutes and at the close" in text
