"""What the RTGS needs from outside that is not the ledger: sanctions screening of a
customer payment's debtor and creditor names. The composition root fills it with the
compliance desk (`digisom.api.interbank_wiring.InterbankPartyScreener`); an RTGS built
without screening says so with `NO_PARTY_SCREENING`. The RTGS imports no other domain."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol

from digisom.kernel.screening import ScreeningDecision

__all__ = ["NO_PARTY_SCREENING", "NoPartyScreening", "PartyRole", "PartyScreening", "PartyVerdict",
           "ScreeningDecision"]


class PartyRole(StrEnum):
    """Which party of a pacs.008 a name belongs to."""

    DEBTOR = "debtor"
    CREDITOR = "creditor"


@dataclass(frozen=True, slots=True)
class PartyVerdict:
    """A recorded screening's decision and what the RTGS keeps of it (screening id, rule, score, lists)."""

    decision: ScreeningDecision
    reason: str


class PartyScreening(Protocol):
    """Screens a party's name (a person or an organisation); every call is recorded by the screening side."""

    def screen_party(self, name: str, role: PartyRole) -> PartyVerdict:
        """Screen `name`, the `role` of a pacs.008."""
        ...


class NoPartyScreening:
    """Screens nothing, said so in each verdict: for an RTGS built without screening on purpose."""

    def screen_party(self, name: str, role: PartyRole) -> PartyVerdict:
        """Always clear, reason `no screening configured`."""
        del name, role
        return PartyVerdict(ScreeningDecision.CLEAR, "no screening configured")


NO_PARTY_SCREENING: Final = NoPartyScreening()
