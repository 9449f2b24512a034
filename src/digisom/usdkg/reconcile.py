"""Reconciling an auditor's bar count with the register as of the audit date: a pure
function of the two, so anyone holding both files can recompute the findings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, unique

from digisom.usdkg import units
from digisom.usdkg.model import Bar, BarStatus
from digisom.usdkg.weight_list import CountedBar


@unique
class FindingKind(Enum):
    """What an audit can find."""

    MISSING_BAR = "missing_bar"  # in a vault by the register, not counted
    EXTRA_BAR = "extra_bar"  # counted, not in a vault by the register
    WEIGHT_DIFFERS = "weight_differs"  # gross or fine weight
    FINENESS_DIFFERS = "fineness_differs"
    BRAND_DIFFERS = "brand_differs"
    WRONG_VAULT = "wrong_vault"


@dataclass(frozen=True, slots=True)
class Finding:
    """One difference between the register and the count."""

    serial: str
    kind: FindingKind
    register: str
    counted: str

    def as_json(self) -> dict[str, str]:
        """The finding as the report shows it."""
        return {"serial": self.serial, "kind": self.kind.value, "register": self.register, "counted": self.counted}


def _weights(gross_moz: int, fine_moz: int) -> str:
    return f"gross {units.format_decimal(gross_moz, 3)} oz, fine {units.format_decimal(fine_moz, 3)} oz"


def reconcile(register: Mapping[str, Bar], counted: Mapping[str, CountedBar]) -> list[Finding]:
    """Every difference between the bars in a vault by `register` and `counted`, by serial
    then kind. A withdrawn or travelling bar that is counted is an extra bar."""
    findings: list[Finding] = []
    expected = {serial: bar for serial, bar in register.items() if bar.status is BarStatus.IN_VAULT}
    for serial in sorted(expected.keys() | counted.keys()):
        bar, count = expected.get(serial), counted.get(serial)
        if count is None and bar is not None:
            findings.append(Finding(serial, FindingKind.MISSING_BAR, f"in {bar.vault}", "not counted"))
            continue
        if bar is None and count is not None:
            known = register.get(serial)
            where = f"{known.status.value}" if known is not None else "not in the register"
            findings.append(Finding(serial, FindingKind.EXTRA_BAR, where, f"counted in {count.vault}"))
            continue
        if bar is None or count is None:  # unreachable: the serial came from one of them
            continue
        seen = count.bar
        if (bar.gross_moz, bar.fine_moz) != (seen.gross_moz, seen.fine_moz):
            findings.append(
                Finding(
                    serial,
                    FindingKind.WEIGHT_DIFFERS,
                    _weights(bar.gross_moz, bar.fine_moz),
                    _weights(seen.gross_moz, seen.fine_moz),
                )
            )
        if bar.fineness_tenths != seen.fineness_tenths:
            findings.append(
                Finding(
                    serial,
                    FindingKind.FINENESS_DIFFERS,
                    units.format_decimal(bar.fineness_tenths, 1),
                    units.format_decimal(seen.fineness_tenths, 1),
                )
            )
        if bar.brand != seen.brand:
            findings.append(Finding(serial, FindingKind.BRAND_DIFFERS, bar.brand, seen.brand))
        if bar.vault != count.vault:
            findings.append(Finding(serial, FindingKind.WRONG_VAULT, bar.vault, count.vault))
    return findings
