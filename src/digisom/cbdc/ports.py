"""What the digital som asks of other domains, filled by the composition root
(`digisom.api`): here, sanctions screening of a wallet's holder before the wallet opens.

There is no default: whoever builds a `Context` passes a screening, and a process that
screens nobody says so by passing `NO_HOLDER_SCREENING`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Protocol

from digisom.cbdc.model import HolderKind
from digisom.kernel.screening import ScreeningDecision

__all__ = ["NO_HOLDER_SCREENING", "HolderScreening", "HolderVerdict", "NoHolderScreening", "ScreeningDecision"]


@dataclass(frozen=True, slots=True)
class HolderVerdict:
    """A recorded screening: its decision, the reference an officer finds it by (kept as
    the freezing hold's order reference), and the reason (rule, score, list versions)."""

    decision: ScreeningDecision
    reference: str
    reason: str


class HolderScreening(Protocol):
    """Screens a wallet holder's name; every call is recorded by the screening side."""

    def screen_holder(self, full_name: str, kind: HolderKind) -> HolderVerdict:
        """Screen `full_name`, a person's or (merchant, government) an organisation's name."""
        ...


class NoHolderScreening:
    """Screens nobody, said so in each verdict: for processes built without screening on purpose."""

    def screen_holder(self, full_name: str, kind: HolderKind) -> HolderVerdict:
        """Always clear, under the reference `no-screening-configured`."""
        del full_name, kind
        return HolderVerdict(ScreeningDecision.CLEAR, NO_SCREENING_REFERENCE, "no screening configured")


NO_SCREENING_REFERENCE: Final = "no-screening-configured"
NO_HOLDER_SCREENING: Final = NoHolderScreening()
