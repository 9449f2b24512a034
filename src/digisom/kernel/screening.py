"""The words every domain's screening port answers in (the compliance desk's decisions),
so a port can be declared without importing `digisom.compliance`; and the one port of
name and address screening (`Screener`) that the remittance domain and the travel-rule
exchange both declare, filled by the composition root with the compliance desk."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class ScreeningDecision(StrEnum):
    """`hit` blocks, `review` waits for a compliance officer, `clear` passes."""

    HIT = "hit"
    REVIEW = "review"
    CLEAR = "clear"


@dataclass(frozen=True, slots=True)
class Screening:
    """A decision and why (the list entry, score and rule, as the screener words it)."""

    decision: ScreeningDecision
    reason: str = ""


class Screener(Protocol):
    """Sanctions screening of names and addresses."""

    def screen(self, name: str, schema: str) -> Screening:
        """Screen a name; `schema` is "Person" or "Organization"."""
        ...

    def screen_address(self, address: str, window: Sequence[tuple[str, str]] = ()) -> Screening:
        """Screen a crypto address: `hit` if a list holds it, `review` if in `window` (the
        chain follower's recent (from, to) transfers) it received from a listed address."""
        ...
