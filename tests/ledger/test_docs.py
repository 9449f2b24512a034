"""docs/ledger.md documents every result code, in precedence order."""

from __future__ import annotations

import re
from pathlib import Path

from digisom.ledger.results import CreateAccountResult, CreateTransferResult

DOC = Path(__file__).resolve().parents[2] / "docs" / "ledger.md"


def test_every_result_code_is_documented_in_precedence_order() -> None:
    result_codes = DOC.read_text().split("## Result codes", 1)[1]  # other tables (the chart) look alike
    accounts_part, transfers_part = result_codes.split("### Creating transfers")
    for enum, part in ((CreateAccountResult, accounts_part), (CreateTransferResult, transfers_part)):
        documented = re.findall(r"^\| (\d+) \| `(\w+)` \|", part, flags=re.MULTILINE)
        assert [(int(value), name) for value, name in documented] == [(m.value, m.name) for m in enum]
