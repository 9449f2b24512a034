"""The words every domain's screening port answers in (the compliance desk's decisions),
so a port can be declared without importing `digisom.compliance`."""

from __future__ import annotations

from enum import StrEnum


class ScreeningDecision(StrEnum):
    """`hit` blocks, `review` waits for a compliance officer, `clear` passes."""

    HIT = "hit"
    REVIEW = "review"
    CLEAR = "clear"
