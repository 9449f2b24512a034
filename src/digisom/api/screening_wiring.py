"""Wiring of sanctions screening (`digisom.compliance`) into the other domains: the lists
the operator configured, loaded once at start (a file that does not parse stops the start
with its line); the remittance domain's `Screener` port over the compliance desk (every
decision recorded with its list versions, score and rule before the remittance acts on it;
a `review` opens a review in the compliance queue); and the review subscribers
(`compliance.releases.ReviewSubscriber`) that act on a review once two officers decided it:
the wallets opened frozen on it, the remittances held on it, the KGST redemptions stopped
on it. Each process registers the subscribers of the domains it runs (`subscribe_api`;
a bridge process `BridgeReleases`; the process that runs rail 2 `ChainInboundReleases`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Final, Protocol

from fastapi import FastAPI
from sqlalchemy import Engine

from digisom.cbdc.model import HolderKind
from digisom.cbdc.ports import HolderVerdict, ScreeningDecision
from digisom.cbdc.service import CbdcService
from digisom.compliance import migrations as compliance_migrations
from digisom.compliance.decisions import Decisions, ReviewOutcome
from digisom.compliance.desk import ComplianceDesk, Recorded
from digisom.compliance.http.slots import COMPLIANCE_DESK
from digisom.compliance.loading import load_list
from digisom.compliance.model import SubjectSchema
from digisom.compliance.releases import NOTHING_HELD, FinalDecision, Releases, ReviewSubscriber
from digisom.http.services import provide
from digisom.kernel.clock import utc_now
from digisom.remittance.onchain import Inbound, InboundStatus
from digisom.remittance.ports import Decision, Screening
from digisom.remittance.reads import RemittanceReads
from digisom.remittance.service import RemittanceService
from digisom.stablecoin.bridge import Bridge

SYSTEM_REQUESTER: Final = "system:remittance"
SCREENING_PREFIX: Final = "screening:"
# The screening contexts whose reviews the API process releases (`subscribe_api`).
WALLET_OPENING_CONTEXT: Final = "wallet_opening"
REMITTANCE_CONTEXT: Final = "remittance"
# Rail 2's senders (`remittance.onchain`), released by the process that runs rail 2.
REMITTANCE_CHAIN_CONTEXT: Final = "remittance_chain"
API_CONTEXT: Final = "api"
MINT_DESTINATION_CONTEXT: Final = "kgst_mint_destination"
REDEMPTION_SENDER_CONTEXT: Final = "kgst_redemption_sender"
WALLET_OPENING_REQUESTER: Final = "system:wallet-opening"
HOLDER_REFERENCE_PREFIX: Final = "compliance-screening:"
_SCREENING_ID: Final = re.compile(r"^screening:(\d+) ")


def build_desk(engine: Engine, list_paths: Sequence[Path], clock: Callable[[], datetime] = utc_now) -> ComplianceDesk:
    """Migrate compliance's tables and load every list file (all or none: a bad file raises).
    The desk's releases have no subscriber yet: each process registers its own."""
    compliance_migrations.migrate(engine)
    decisions = Decisions(engine, clock)
    return ComplianceDesk([load_list(path) for path in list_paths], decisions, Releases(engine, decisions, clock))


def decision_reason(recorded: Recorded) -> str:
    """What the remittance keeps of a decision: the screening id first (the release below
    reads it back), then the rule, the score and the lists' versions."""
    result = recorded.result
    versions = ",".join(v[:16] for v in result.list_versions) or "none"
    best = f" best={result.matches[0].entity_id}" if result.matches else ""
    return (f"{screening_reference(recorded.screening_id)}rule={result.rule} score={result.score_milli}{best}"
            f" lists={versions}")


class RemittanceScreener:
    """The remittance domain's `Screener` over the compliance desk."""

    def __init__(self, desk: ComplianceDesk, context: str = REMITTANCE_CONTEXT,
                 requester: str = SYSTEM_REQUESTER) -> None:
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

    def __init__(self, desk: ComplianceDesk, context: str = WALLET_OPENING_CONTEXT) -> None:
        self._desk = desk
        self._context = context

    def screen_holder(self, full_name: str, kind: HolderKind) -> HolderVerdict:
        """Screen and record the holder's name: a person's, or an organisation's for merchants and public bodies."""
        schema = SubjectSchema.PERSON if kind is HolderKind.INDIVIDUAL else SubjectSchema.ORGANIZATION
        recorded = self._desk.screen_name(full_name, schema, context=self._context,
                                          requested_by=WALLET_OPENING_REQUESTER)
        return HolderVerdict(ScreeningDecision(recorded.result.decision.value),
                             f"{HOLDER_REFERENCE_PREFIX}{recorded.screening_id}", decision_reason(recorded))


def screening_reference(screening_id: int) -> str:
    """How a domain's kept reason begins when it names a compliance screening (`decision_reason`)."""
    return f"{SCREENING_PREFIX}{screening_id} "


def screening_ids(reason: str) -> int | None:
    """The compliance screening a remittance's screening reason points at."""
    found = _SCREENING_ID.match(reason)
    return int(found.group(1)) if found else None


def settle_held(desk: ComplianceDesk, decision: FinalDecision, held: Mapping[str, Sequence[int]],
                settle: Callable[[str, bool], str]) -> list[str]:
    """For each item held on `decision`'s screening (item id -> the screenings whose
    reviews hold it): `settle(item, False)` if any of its reviews was confirmed,
    `settle(item, True)` once all of them are cleared, else a note that it stays held.
    The notes say what was done, for the release's record."""
    notes = []
    for item_id, sids in held.items():
        if decision.screening_id not in sids:
            continue
        reviews = desk.decisions.reviews_of(list(sids))
        statuses = {reviews[sid].status if sid in reviews else "open" for sid in sids}
        if ReviewOutcome.CONFIRMED.value in statuses:
            notes.append(settle(item_id, False))
        elif statuses == {ReviewOutcome.CLEARED.value}:
            notes.append(settle(item_id, True))
        else:
            notes.append(f"{item_id}: held on another open review")
    return notes


class WalletOpeningReleases:
    """`ReviewSubscriber` of `wallet_opening`: the wallets opened frozen on the review's
    screening are unfrozen when it is cleared, and stay frozen (with the confirmation
    recorded as their latest hold) when it is confirmed."""

    def __init__(self, wallets: CbdcService) -> None:
        self._wallets = wallets

    def __call__(self, decision: FinalDecision) -> str:
        """Release or keep the wallets frozen on `decision`'s screening."""
        notes = self._wallets.release_screening_freeze(f"{HOLDER_REFERENCE_PREFIX}{decision.screening_id}",
                                                       decision.cleared, decision.describe())
        return "; ".join(notes) or "no wallet was frozen on this screening"


class HeldInbound(Protocol):
    """Rail 2 (`remittance.onchain.OnchainRail`) for one token, as its releases need it."""

    def inbounds(self, token: str, status: InboundStatus | None = None) -> list[Inbound]:
        """The token's recorded inbound transfers of one status."""
        ...

    def decide(self, token: str, inbound_id: str, clear: bool, officer: str) -> Inbound:
        """Release (clear) or block a held inbound transfer."""
        ...


class RemittanceReleases:
    """`ReviewSubscriber` of `remittance` (the one review rule for remittances: the
    remittance domain has no decision of its own). Each remittance held on the review is
    returned if any of its reviews was confirmed, paid once all of them are cleared, else
    left held."""

    def __init__(self, desk: ComplianceDesk, remittance: RemittanceService, reads: RemittanceReads) -> None:
        self._desk = desk
        self._remittance = remittance
        self._reads = reads

    def __call__(self, decision: FinalDecision) -> str:
        """Act on the remittances held on `decision`'s screening."""
        held = [r.remittance_id for r in self._remittance.review_queue()]
        by_remittance: dict[str, list[int]] = {}
        for s in self._reads.screenings(held):
            sid = screening_ids(s.reason)
            if s.decision == Decision.REVIEW.value and sid is not None:
                by_remittance.setdefault(s.remittance_id, []).append(sid)
        notes = settle_held(self._desk, decision, by_remittance,
                            lambda remittance_id, cleared: self._settle(remittance_id, cleared, decision))
        return "; ".join(notes) or "nothing held on this screening"

    def _settle(self, remittance_id: str, cleared: bool, decision: FinalDecision) -> str:
        settled = self._remittance.release_reviewed(remittance_id, cleared, decision.approved_by, decision.describe())
        return f"{remittance_id}: {settled.status.value}"


class ChainInboundReleases:
    """`ReviewSubscriber` of `remittance_chain`, for the process that runs rail 2 (given
    its (rail, token) pairs): each inbound transfer held on the review's screening (one
    screening each) is cleared, and handed on at the feed's next poll, or blocked.
    Idempotent: a retry finds nothing held."""

    def __init__(self, rails: Sequence[tuple[HeldInbound, str]]) -> None:
        self._rails = tuple(rails)

    def __call__(self, decision: FinalDecision) -> str:
        """Clear or block the inbound transfers held on `decision`'s screening."""
        reference = screening_reference(decision.screening_id)
        notes = []
        for rail, token in self._rails:
            for item in rail.inbounds(token, InboundStatus.HELD):
                if item.reason.startswith(reference):
                    moved = rail.decide(token, item.inbound_id, decision.cleared, decision.approved_by)
                    notes.append(f"{item.inbound_id}: {moved.status.value}")
        return "; ".join(notes) or "no inbound transfer held on this screening"


class BridgeReleases:
    """`ReviewSubscriber` of `kgst_redemption_sender`, for the process that runs the KGST
    bridges: a redemption left unmatched because its sender was under review is requested
    again when cleared (the next round redeems it), kept unmatched when confirmed."""

    def __init__(self, bridges: Sequence[Bridge]) -> None:
        self._bridges = tuple(bridges)

    def __call__(self, decision: FinalDecision) -> str:
        """Replay or keep refused the redemptions stopped on `decision`'s screening."""
        moved = [op for bridge in self._bridges for op in bridge.release_reviewed(
            screening_reference(decision.screening_id), decision.cleared, decision.describe())]
        verb = "requested again" if decision.cleared else "kept unmatched"
        return f"{verb}: {', '.join(moved)}" if moved else "no redemption left under this review"


def subscribe_api(desk: ComplianceDesk, wallets: CbdcService, remittance: RemittanceService,
                  reads: RemittanceReads, others: Mapping[str, ReviewSubscriber]) -> None:
    """The API process's review subscribers: wallet openings and remittances; an officer's
    own screening (`api`) and a refused mint destination hold nothing; `others` (context ->
    subscriber: the travel-rule inquiries, the RTGS's held payments) as their wiring gives
    them. A bridge process adds `BridgeReleases` for `kgst_redemption_sender`."""
    desk.releases.subscribe(WALLET_OPENING_CONTEXT, WalletOpeningReleases(wallets))
    desk.releases.subscribe(REMITTANCE_CONTEXT, RemittanceReleases(desk, remittance, reads))
    desk.releases.subscribe(API_CONTEXT, NOTHING_HELD)
    desk.releases.subscribe(MINT_DESTINATION_CONTEXT, NOTHING_HELD)
    for context, subscriber in others.items():
        desk.releases.subscribe(context, subscriber)


def attach(app: FastAPI, desk: ComplianceDesk, remittance: RemittanceService, reads: RemittanceReads,
           wallets: CbdcService, others: Mapping[str, ReviewSubscriber]) -> None:
    """Fill the compliance routes' slot with the desk, subscribe the API's domains to final
    decisions, and run the releases a crash left pending."""
    provide(app, COMPLIANCE_DESK, desk)
    subscribe_api(desk, wallets, remittance, reads, others)
    desk.releases.run()
