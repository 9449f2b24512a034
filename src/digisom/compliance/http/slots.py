"""What the compliance routes need from the composition root: the desk (the loaded lists
and the decisions table), and who acts when a review is decided (the remittances held on
it, through `digisom.api.screening_wiring`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Protocol

from fastapi import Request

from digisom.compliance.decisions import Review
from digisom.compliance.desk import ComplianceDesk
from digisom.http.services import Slot, provided


class ReviewListener(Protocol):
    """Told of every decided review, after the decision is recorded."""

    def decided(self, review: Review) -> None:
        """Act on what was held on `review`."""
        ...


COMPLIANCE_DESK: Final = Slot[ComplianceDesk]("compliance.desk")
REVIEW_LISTENERS: Final = Slot[Sequence[ReviewListener]]("compliance.review_listeners")


def desk(request: Request) -> ComplianceDesk:
    """The process's compliance desk."""
    return provided(request, COMPLIANCE_DESK)


def listeners(request: Request) -> Sequence[ReviewListener]:
    """Who acts on decided reviews."""
    return provided(request, REVIEW_LISTENERS)
