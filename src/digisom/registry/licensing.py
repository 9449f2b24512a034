"""VASP licensing: applications with documents, a review with four eyes (one registrar
proposes, another approves), licences (number, activities, conditions, expiry, the VASP's
Ed25519 key), suspension, reinstatement and revocation with reasons. Every step is a
signed event of the register's log on stream `vasp:<id>`; a VASP as it stands is
`fold(events)`. `licence_for` is the read the volume reports consume."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import Connection, select

from digisom.registry import tables
from digisom.registry.chain import Event
from digisom.registry.documents import DocumentRef, Documents
from digisom.registry.errors import (
    DuplicateLicenceNumber,
    FourEyesViolation,
    IllegalTransition,
    InvalidEntry,
    UnknownVasp,
)
from digisom.registry.log import Change, EventLog

STREAM_PREFIX: Final = "vasp:"
VASP_ID_PATTERN: Final = re.compile(r"^vasp-[a-z0-9-]{2,59}$")
LICENCE_NUMBER_PATTERN: Final = re.compile(r"^[A-Z0-9][A-Z0-9/-]{2,39}$")
PUBLIC_KEY_PATTERN: Final = re.compile(r"^[0-9a-f]{64}$")
TEXT_CHARS_MAX: Final = 200
REASON_CHARS_MAX: Final = 2000
CONDITIONS_MAX: Final = 20
DOCUMENTS_MAX: Final = 50


class Activity(StrEnum):
    """What a licence permits."""

    EXCHANGE = "exchange"
    CUSTODY = "custody"
    TRANSFER = "transfer"
    ISSUANCE = "issuance"


class VaspStatus(StrEnum):
    """Where a VASP stands."""

    APPLIED = "applied"
    PROPOSED = "proposed"  # a registrar proposed a decision; a second must approve it
    LICENSED = "licensed"
    REFUSED = "refused"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class Decision(StrEnum):
    """What a review proposes."""

    GRANT = "grant"
    REFUSE = "refuse"


@dataclass(frozen=True, slots=True)
class VaspApplication:
    """A VASP's application."""

    vasp_id: str
    legal_name: str
    address: str
    activities: frozenset[Activity]
    public_key: str
    documents: tuple[DocumentRef, ...]

    def as_json(self) -> dict[str, Any]:
        return {"vasp_id": self.vasp_id, "legal_name": self.legal_name, "address": self.address,
                "activities": sorted(a.value for a in self.activities), "public_key": self.public_key,
                "documents": [d.as_json() for d in self.documents]}


@dataclass(frozen=True, slots=True)
class Proposal:
    """A registrar's proposed decision, waiting for a second registrar."""

    seq: int
    decision: Decision
    proposed_by: str
    licence_number: str
    activities: frozenset[Activity]
    conditions: tuple[str, ...]
    expires_on: str
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "decision": self.decision.value, "proposed_by": self.proposed_by,
                "licence_number": self.licence_number, "activities": sorted(a.value for a in self.activities),
                "conditions": list(self.conditions), "expires_on": self.expires_on, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class Licence:
    """A licence as it stands (what the volume reports check a report against)."""

    number: str
    vasp_id: str
    legal_name: str
    status: VaspStatus
    activities: frozenset[Activity]
    conditions: tuple[str, ...]
    expires_on: str
    public_key: str
    granted_at: str
    proposed_by: str
    approved_by: str
    status_reason: str

    def active_on(self, day: date) -> bool:
        """Whether the licence permits business on `day`: licensed (not suspended or revoked) and not expired."""
        return self.status is VaspStatus.LICENSED and day <= date.fromisoformat(self.expires_on)

    def as_json(self) -> dict[str, Any]:
        return {"number": self.number, "vasp_id": self.vasp_id, "legal_name": self.legal_name,
                "status": self.status.value, "activities": sorted(a.value for a in self.activities),
                "conditions": list(self.conditions), "expires_on": self.expires_on, "public_key": self.public_key,
                "granted_at": self.granted_at, "proposed_by": self.proposed_by, "approved_by": self.approved_by,
                "status_reason": self.status_reason}


@dataclass(frozen=True, slots=True)
class Vasp:
    """A VASP as its events leave it."""

    application: VaspApplication
    status: VaspStatus
    proposal: Proposal | None
    licence: Licence | None
    status_reason: str
    last_seq: int

    def as_json(self) -> dict[str, Any]:
        return {"application": self.application.as_json(), "status": self.status.value,
                "proposal": self.proposal.as_json() if self.proposal else None,
                "licence": self.licence.as_json() if self.licence else None, "status_reason": self.status_reason,
                "last_seq": self.last_seq}


# status -> what the status events may make of it.
_MOVES: Final[Mapping[str, tuple[frozenset[VaspStatus], VaspStatus]]] = {
    "vasp.suspended": (frozenset({VaspStatus.LICENSED}), VaspStatus.SUSPENDED),
    "vasp.reinstated": (frozenset({VaspStatus.SUSPENDED}), VaspStatus.LICENSED),
    "vasp.revoked": (frozenset({VaspStatus.LICENSED, VaspStatus.SUSPENDED}), VaspStatus.REVOKED),
}
REAPPLY_FROM: Final = frozenset({VaspStatus.REFUSED})
PROPOSE_FROM: Final = frozenset({VaspStatus.APPLIED, VaspStatus.PROPOSED})


def _activities(values: Sequence[str]) -> frozenset[Activity]:
    return frozenset(Activity(v) for v in values)


def _application(body: Mapping[str, Any]) -> VaspApplication:
    return VaspApplication(body["vasp_id"], body["legal_name"], body["address"], _activities(body["activities"]),
                           body["public_key"], tuple(DocumentRef(**d) for d in body["documents"]))


def _proposal(event: Event) -> Proposal:
    b = event.body
    return Proposal(event.seq, Decision(b["decision"]), event.actor, b["licence_number"], _activities(b["activities"]),
                    tuple(b["conditions"]), b["expires_on"], b["reason"])


def _granted(vasp: Vasp, proposal: Proposal, event: Event) -> Vasp:
    if proposal.decision is Decision.REFUSE:
        return replace(vasp, status=VaspStatus.REFUSED, proposal=None, status_reason=proposal.reason)
    app = vasp.application
    licence = Licence(proposal.licence_number, app.vasp_id, app.legal_name, VaspStatus.LICENSED,
                      proposal.activities, proposal.conditions, proposal.expires_on, app.public_key, event.at,
                      proposal.proposed_by, event.actor, proposal.reason)
    return replace(vasp, status=VaspStatus.LICENSED, proposal=None, licence=licence, status_reason=proposal.reason)


def fold(events: Sequence[Event]) -> Vasp | None:
    """The VASP as its events leave it (None before it applied)."""
    vasp: Vasp | None = None
    for event in events:
        if event.kind == "vasp.applied":
            vasp = Vasp(_application(event.body), VaspStatus.APPLIED, None, vasp.licence if vasp else None, "",
                        event.seq)
        elif vasp is None:
            continue
        elif event.kind == "vasp.review_proposed":
            vasp = replace(vasp, status=VaspStatus.PROPOSED, proposal=_proposal(event))
        elif event.kind == "vasp.review_approved" and vasp.proposal is not None:
            vasp = _granted(vasp, vasp.proposal, event)
        elif event.kind in _MOVES:
            status, reason = _MOVES[event.kind][1], event.body["reason"]
            licence = replace(vasp.licence, status=status, status_reason=reason) if vasp.licence else None
            vasp = replace(vasp, status=status, licence=licence, status_reason=reason)
        vasp = replace(vasp, last_seq=event.seq)
    return vasp


def _text(value: str, what: str, chars_max: int = TEXT_CHARS_MAX) -> str:
    if not 0 < len(value) <= chars_max or any(ord(c) < 32 for c in value):
        raise InvalidEntry(f"{what} needs 1..{chars_max} printable characters", field=what)
    return value


def check_vasp_id(vasp_id: str) -> str:
    """`vasp_id` if well-formed (`vasp-` and 2..59 of a-z, 0-9, -)."""
    if not VASP_ID_PATTERN.fullmatch(vasp_id):
        raise InvalidEntry("a VASP id is vasp- and 2..59 of a-z, 0-9 and -", field="vasp_id")
    return vasp_id


def stream_of(vasp_id: str) -> str:
    """The log stream of the VASP `vasp_id`."""
    return STREAM_PREFIX + vasp_id


@dataclass(frozen=True, slots=True)
class ProposalIn:
    """A registrar's proposal, as asked."""

    decision: Decision
    licence_number: str
    activities: frozenset[Activity]
    conditions: tuple[str, ...]
    expires_on: date | None
    reason: str


class Licensing:
    """VASP applications, reviews and licences over the register's log."""

    def __init__(self, log: EventLog, clock: Callable[[], datetime]) -> None:
        self.log = log
        self._clock = clock

    def today(self) -> date:
        """The register's day (its clock's): a licence proposed now expires after it."""
        return self._clock().date()

    def apply(self, vasp_id: str, legal_name: str, address: str, activities: frozenset[Activity],
              public_key: str, document_hashes: Sequence[str], actor: str) -> Vasp:
        """File (or, after a refusal, file again) an application naming uploaded documents."""
        check_vasp_id(vasp_id)
        _text(legal_name, "legal_name")
        _text(address, "address")
        if not activities:
            raise InvalidEntry("an application asks for at least one activity", field="activities")
        if not PUBLIC_KEY_PATTERN.fullmatch(public_key):
            raise InvalidEntry("public_key: the raw 32-byte Ed25519 key, 64 lower-case hex", field="public_key")
        if len(document_hashes) > DOCUMENTS_MAX:
            raise InvalidEntry(f"at most {DOCUMENTS_MAX} documents", field="documents")

        def decide(conn: Connection, events: Sequence[Event]) -> Change:
            documents = tuple(Documents.require(conn, vasp_id, h) for h in sorted(set(document_hashes)))
            application = VaspApplication(vasp_id, legal_name, address, activities, public_key, documents)
            vasp = fold(events)
            if vasp is not None and vasp.application == application and vasp.status not in REAPPLY_FROM:
                return Change(())  # the same application again
            if vasp is not None and vasp.status not in REAPPLY_FROM:
                raise IllegalTransition(vasp_id, vasp.status.value, "applied")
            return Change((("vasp.applied", application.as_json()),))

        self.log.commit(stream_of(vasp_id), actor, decide)
        return self.vasp(vasp_id)

    def propose(self, vasp_id: str, proposal: ProposalIn, actor: str) -> Vasp:
        """A registrar proposes to grant (with the licence's terms) or refuse; a later
        proposal replaces a pending one."""
        body = self._proposal_body(proposal)

        def decide(conn: Connection, events: Sequence[Event]) -> Change:
            vasp = self._existing(vasp_id, events)
            if vasp.status not in PROPOSE_FROM:
                raise IllegalTransition(vasp_id, vasp.status.value, "reviewed")
            if proposal.decision is Decision.GRANT:
                self._number_free(conn, proposal.licence_number)
            return Change((("vasp.review_proposed", body),))

        self.log.commit(stream_of(vasp_id), actor, decide)
        return self.vasp(vasp_id)

    def approve(self, vasp_id: str, proposal_seq: int, actor: str) -> Vasp:
        """A second registrar approves the pending proposal `proposal_seq`: the licence is
        granted (or the application refused). Never its proposer (four eyes; the reviews
        table's CHECK refuses it too)."""

        def decide(conn: Connection, events: Sequence[Event]) -> Change:
            vasp = self._existing(vasp_id, events)
            pending = vasp.proposal
            if vasp.status is not VaspStatus.PROPOSED or pending is None:
                raise IllegalTransition(vasp_id, vasp.status.value, "approved")
            if pending.seq != proposal_seq:
                raise IllegalTransition(vasp_id, f"proposed (pending proposal {pending.seq})",
                                        f"approved on proposal {proposal_seq}")
            if pending.proposed_by == actor:
                raise FourEyesViolation(f"{actor} proposed this decision: a second registrar must approve it")
            if pending.decision is Decision.GRANT:
                self._number_free(conn, pending.licence_number)

            def record(conn: Connection, appended: Sequence[Event]) -> None:
                conn.execute(tables.reviews.insert().values(
                    event_seq=appended[0].seq, vasp_id=vasp_id, decision=pending.decision.value,
                    proposed_by=pending.proposed_by, approved_by=actor))
                if pending.decision is Decision.GRANT:
                    conn.execute(tables.licence_numbers.insert().values(number=pending.licence_number,
                                                                        vasp_id=vasp_id))
            body = {"proposal_seq": pending.seq, "decision": pending.decision.value}
            return Change((("vasp.review_approved", body),), record)

        self.log.commit(stream_of(vasp_id), actor, decide)
        return self.vasp(vasp_id)

    def suspend(self, vasp_id: str, reason: str, actor: str) -> Vasp:
        """Suspend a licence, with the reason."""
        return self._move(vasp_id, "vasp.suspended", reason, actor)

    def reinstate(self, vasp_id: str, reason: str, actor: str) -> Vasp:
        """Lift a suspension, with the reason."""
        return self._move(vasp_id, "vasp.reinstated", reason, actor)

    def revoke(self, vasp_id: str, reason: str, actor: str) -> Vasp:
        """Revoke a licence (final), with the reason."""
        return self._move(vasp_id, "vasp.revoked", reason, actor)

    def _move(self, vasp_id: str, kind: str, reason: str, actor: str) -> Vasp:
        _text(reason, "reason", REASON_CHARS_MAX)
        allowed_from, to = _MOVES[kind]

        def decide(_conn: Connection, events: Sequence[Event]) -> Change:
            vasp = self._existing(vasp_id, events)
            if vasp.status not in allowed_from:
                raise IllegalTransition(vasp_id, vasp.status.value, to.value)
            return Change(((kind, {"reason": reason}),))

        self.log.commit(stream_of(vasp_id), actor, decide)
        return self.vasp(vasp_id)

    def _proposal_body(self, proposal: ProposalIn) -> dict[str, Any]:
        _text(proposal.reason, "reason", REASON_CHARS_MAX)
        if proposal.decision is Decision.REFUSE:
            return {"decision": "refuse", "licence_number": "", "activities": [], "conditions": [],
                    "expires_on": "", "reason": proposal.reason}
        if not LICENCE_NUMBER_PATTERN.fullmatch(proposal.licence_number):
            raise InvalidEntry("licence_number: 3..40 of A-Z, 0-9, / and -", field="licence_number")
        if not proposal.activities:
            raise InvalidEntry("a licence permits at least one activity", field="activities")
        if proposal.expires_on is None or proposal.expires_on <= self.today():
            raise InvalidEntry("a licence expires on a day after today", field="expires_on")
        if len(proposal.conditions) > CONDITIONS_MAX:
            raise InvalidEntry(f"at most {CONDITIONS_MAX} conditions", field="conditions")
        for condition in proposal.conditions:
            _text(condition, "conditions[]", REASON_CHARS_MAX)
        return {"decision": "grant", "licence_number": proposal.licence_number,
                "activities": sorted(a.value for a in proposal.activities), "conditions": list(proposal.conditions),
                "expires_on": proposal.expires_on.isoformat(), "reason": proposal.reason}

    @staticmethod
    def _number_free(conn: Connection, number: str) -> None:
        taken = conn.execute(select(tables.licence_numbers.c.vasp_id)
                             .where(tables.licence_numbers.c.number == number)).first()
        if taken is not None:
            raise DuplicateLicenceNumber(f"licence number {number} was granted already", licence_number=number)

    @staticmethod
    def _existing(vasp_id: str, events: Sequence[Event]) -> Vasp:
        vasp = fold(events)
        if vasp is None:
            raise UnknownVasp("no such VASP")
        return vasp

    def vasp(self, vasp_id: str) -> Vasp:
        """The VASP as it stands, or `UnknownVasp`."""
        return self._existing(vasp_id, self.log.stream(stream_of(vasp_id)))

    def history(self, vasp_id: str) -> list[Event]:
        """Every event of the VASP, in order."""
        events = self.log.stream(stream_of(vasp_id))
        self._existing(vasp_id, events)
        return events

    def licence_for(self, vasp_id: str) -> Licence | None:
        """The VASP's licence as it stands (any status), or None: the port the volume reports read."""
        vasp = fold(self.log.stream(stream_of(vasp_id)))
        return vasp.licence if vasp else None

    def vasps(self) -> list[Vasp]:
        """Every VASP as it stands, by id."""
        folded = (fold(events) for events in self.log.streams(STREAM_PREFIX).values())
        return sorted((v for v in folded if v is not None), key=lambda v: v.application.vasp_id)

    def licences(self, status: VaspStatus | None = None) -> list[Licence]:
        """The public list: every licence granted (with its status), by number."""
        found = [v.licence for v in self.vasps() if v.licence is not None]
        return sorted((x for x in found if status is None or x.status is status), key=lambda x: x.number)
