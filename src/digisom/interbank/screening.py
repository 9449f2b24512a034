"""Screening of a customer payment's parties before the RTGS takes it in.

A pacs.008's debtor and creditor names are both screened (each decision recorded by the
screening side, both kept here when the message is stopped). The worst decision stands:
`hit` refuses the message (RJCT RR04) before it enters the queue; `review` holds it out of
the queue (`held_for_screening`) until an officer decides. A pacs.008 without a debtor or
creditor name cannot be screened and is refused (RR02, RR03). pacs.009 (bank to bank) is
not screened: its parties are the participants themselves, admitted by the central bank;
pacs.004 returns money along a payment that was screened when it was sent.
"""

from __future__ import annotations

from dataclasses import dataclass

from digisom.interbank.intake import Instruction
from digisom.interbank.iso20022 import Iso20022Error, MessageType, ReasonCode
from digisom.interbank.ports import PartyRole, PartyScreening, PartyVerdict, ScreeningDecision

_SEVERITY = {ScreeningDecision.CLEAR: 0, ScreeningDecision.REVIEW: 1, ScreeningDecision.HIT: 2}


@dataclass(frozen=True, slots=True)
class Screened:
    """Both parties' verdicts and the decision that stands."""

    debtor_name: str
    creditor_name: str
    debtor: PartyVerdict
    creditor: PartyVerdict

    @property
    def decision(self) -> ScreeningDecision:
        """The worse of the two decisions."""
        return max(self.debtor.decision, self.creditor.decision, key=_SEVERITY.__getitem__)


def screened(screening: PartyScreening, order: Instruction) -> Screened | None:
    """The parties' verdicts of a pacs.008 (None for the messages that are not screened);
    Iso20022Error RR02/RR03 when a name is missing."""
    if order.message_type is not MessageType.PACS_008:
        return None
    debtor = (order.debtor_name or "").strip()
    creditor = (order.creditor_name or "").strip()
    if not debtor:
        raise Iso20022Error(ReasonCode.MISSING_DEBTOR_NAME, "the debtor has no name (Dbtr/Nm) to screen")
    if not creditor:
        raise Iso20022Error(ReasonCode.MISSING_CREDITOR_NAME, "the creditor has no name (Cdtr/Nm) to screen")
    return Screened(debtor, creditor, screening.screen_party(debtor, PartyRole.DEBTOR),
                    screening.screen_party(creditor, PartyRole.CREDITOR))
