"""Wiring of sanctions screening (`digisom.compliance`) into the other domains: the lists
the operator configured, loaded once at start (a file that does not parse stops the start
with its line); the remittance domain's `Screener` port over the compliance desk (every
decision recorded with its list versions, score and rule before the remittance acts on it;
a `review` opens a review in the compliance queue); and, when an officer decides such a
review, the held remittances released or returned.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Final

from fastapi import FastAPI
from sqlalchemy import Engine

from digisom.cbdc.model import HolderKind
from digisom.cbdc.ports import HolderVerdict, ScreeningDecision
from digisom.compliance import migrations as compliance_migrations
from digisom.compliance.decisions import Decisions, Review, ReviewOutcome
from digisom.compliance.desk import ComplianceDesk, Recorded
from digisom.compliance.http.slots import COMPLIANCE_DESK, REVIEW_LISTENERS, ReviewListener
from digisom.compliance.loading import load_list
from digisom.compliance.model import SubjectSchema
from digisom.http.services import provide
from digisom.kernel.clock import utc_now
from digisom.remittance.ports import Decision, Screening
from digisom.remittance.reads import RemittanceReads
from digisom.remittance.service import RemittanceService

SYSTEM_REQUESTER: Final = "system:remittance"
WALLET_OPENING_REQUESTER: Final = "system:wallet-opening"
HOLDER_REFERENCE_PREFIX: Final = "compliance-screening:"
_SCREENING_ID: Final = re.compile(r"^screening:(\d+) ")


def build_desk(engine: Engine, list_paths: Sequence[Path], clock: Callable[[], datetime] = utc_now) -> ComplianceDesk:
    """Migrate compliance's tables and load every list file (all or none: a bad file raises)."""
    compliance_migrations.migrate(engine)
    return ComplianceDesk([load_list(path) for path in list_paths], Decisions(engine, clock))


def decision_reason(recorded: Recorded) -> str:
    """What the remittance keeps of a decision: the screening id first (the release below
    reads it back), then the rule, the score and the lists' versions."""
    result = recorded.result
    versions = ",".join(v[:16] for v in result.list_versions) or "none"
    best = f" best={result.matches[0].entity_id}" if result.matches else ""
    return f"screening:{recorded.screening_id} rule={result.rule} score={result.score_milli}{best} lists={versions}"


class RemittanceScreener:
    """The kernel's `Screener` port over the compliance desk: the remittance domain's, and
    the travel-rule exchange's (its own context and requester)."""

    def __init__(self, desk: ComplianceDesk, context: str = "remittance", requester: str = SYSTEM_REQUESTER) -> None:
        self._desk = desk
        self._context = context
        self._requester = requester

    def screen(self, name: str, schema: str) -> Screening:
        """Screen and record a name."""
        recorded = self._desk.screen_name(name, SubjectSchema(schema), context=self._context,
                                          requested_by=self._requester)
        return Screening(Decision(recorded.result.decision.value), decision_reason(recorded))

    def screen_address(self, address: str, window: Sequence[tuple[str, str]] = ()) -> Screening:
        """Screen and record an address (one-hop exposure over the follower's `window`)."""
        recorded = self._desk.screen_address(address, context=self._context, requested_by=self._requester,
                                             window=window)
        return Screening(Decision(recorded.result.decision.value), decision_reason(recorded))


class HolderScreener:
    """The digital som's `HolderScreening` over the compliance desk: a wallet's holder is
    screened (and recorded) under the context `wallet_opening`; a `review` opens a review
    whose screening the wallet's freezing hold names (`compliance-screening:<id>`)."""

    def __init__(self, desk: ComplianceDesk, context: str = "wallet_opening") -> None:
        self._desk = desk
        self._context = context

    def screen_holder(self, full_name: str, kind: HolderKind) -> HolderVerdict:
        """Screen and record the holder's name: a person's, or an organisation's for merchants and public bodies."""
        schema = SubjectSchema.PERSON if kind is HolderKind.INDIVIDUAL else SubjectSchema.ORGANIZATION
        recorded = self._desk.screen_name(full_name, schema, context=self._context,
                                          requested_by=WALLET_OPENING_REQUESTER)
        return HolderVerdict(ScreeningDecision(recorded.result.decision.value),
                             f"{HOLDER_REFERENCE_PREFIX}{recorded.screening_id}", decision_reason(recorded))


def screening_ids(reason: str) -> int | None:
    """The compliance screening a remittance's screening reason points at."""
    found = _SCREENING_ID.match(reason)
    return int(found.group(1)) if found else None


def settle_held(desk: ComplianceDesk, review: Review, held: Mapping[str, Sequence[str]],
                settle: Callable[[str, bool], None]) -> None:
    """For each item held on `review`'s screening (item id -> the reasons of its `review`
    screenings): `settle(item, False)` if any of its reviews was confirmed,
    `settle(item, True)` once all of them are cleared, else nothing (still held)."""
    for item_id, reasons in held.items():
        sids = [sid for sid in (screening_ids(reason) for reason in reasons) if sid is not None]
        if review.screening_id not in sids:
            continue
        reviews = desk.decisions.reviews_of(sids)
        statuses = {reviews[sid].status if sid in reviews else "open" for sid in sids}
        if ReviewOutcome.CONFIRMED.value in statuses:
            settle(item_id, False)
        elif statuses == {ReviewOutcome.CLEARED.value}:
            settle(item_id, True)


class RemittanceReleases:
    """When a review is decided: each remittance held on it is returned if any of its
    reviews was confirmed, paid once all of them are cleared, else left held."""

    def __init__(self, desk: ComplianceDesk, remittance: RemittanceService, reads: RemittanceReads) -> None:
        self._desk = desk
        self._remittance = remittance
        self._reads = reads

    def decided(self, review: Review) -> None:
        """Act on the remittances held on `review`'s screening."""
        held = [r.remittance_id for r in self._remittance.review_queue()]
        by_remittance: dict[str, list[str]] = {}
        for s in self._reads.screenings(held):
            if s.decision == Decision.REVIEW.value:
                by_remittance.setdefault(s.remittance_id, []).append(s.reason)
        settle_held(self._desk, review, by_remittance,
                    lambda remittance_id, clear: self._settle(remittance_id, clear, review))

    def _settle(self, remittance_id: str, clear: bool, review: Review) -> None:
        officer = review.decided_by or ""
        self._remittance.decide(remittance_id, clear, officer, f"compliance review {review.review_id}")


def attach(app: FastAPI, desk: ComplianceDesk, remittance: RemittanceService, reads: RemittanceReads,
           listeners: Sequence[ReviewListener] = ()) -> None:
    """Fill the compliance routes' slots: the desk, and who acts on decisions (the
    remittances released, and `listeners`: the travel-rule inquiries held)."""
    provide(app, COMPLIANCE_DESK, desk)
    provide(app, REVIEW_LISTENERS, (RemittanceReleases(desk, remittance, reads), *listeners))
