"""The travel-rule exchange (a TRP-like flow; docs/travel-rule.md).

1. Inquiry: an originator (a remittance partner or a licensed VASP) sends, before the
   transfer, the asset, the amount, the beneficiary (a digital som wallet or an on-chain
   address), the originator's address if on-chain, and IVMS101 data; the data is
   required at or above the threshold (USD 1,000 equivalent by default, FATF R.16).
   The inquiry is validated, every name and address screened and recorded, stored (the
   payload as received and its SHA-256) and answered: `approved`, `rejected` with a
   reason, or `pending_review` (a compliance officer decides; `decide`).
2. Confirmation: the originator gives the transfer's reference (a transaction hash or a
   remittance id); an approved inquiry becomes `confirmed`, once, with one reference.

An inquiry is idempotent by its sender and the sender's id: the same body answers the
stored inquiry, another body is `InquiryConflict`. Only its sender sees it (compliance
officers and auditors too); for anyone else it does not exist.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from digisom.kernel import ivms101
from digisom.kernel.canonical_json import canonical_json
from digisom.kernel.clock import utc_now
from digisom.kernel.db_errors import reraise_unless_unique
from digisom.travelrule import outbox, repository
from digisom.travelrule.assets import ASSETS
from digisom.travelrule.errors import (
    InquiryConflict,
    InquiryInvalid,
    InquiryIvms101Invalid,
    InquiryIvms101Missing,
    InquiryNotApproved,
    InquiryNotFound,
)
from digisom.travelrule.model import Inquiry, InquiryRequest, Party, PartyScreening, Reason, Status
from digisom.travelrule.ports import Screener, Screening, ScreeningDecision, UsdValuer, VaspStanding

AMOUNT_MINOR_MAX: Final = 10**15  # as a remittance's: far above any transfer, inside 64 bits
HELD_PAGE_MAX: Final = 500
ROLES: Final = ("partner", "vasp")
_ID: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
# An EVM (0x + 40 hex) or TRON (T + 33 base58) address: what the lists' wallet entries hold.
_ADDRESS: Final = re.compile(r"^(0x[0-9a-fA-F]{40}|T[1-9A-HJ-NP-Za-km-z]{33})$")
# A transaction hash (EVM 0x + 64 hex, TRON 64 hex) or a remittance id.
_TX_REFERENCE: Final = re.compile(r"^(0x[0-9a-fA-F]{64}|[0-9a-fA-F]{64}|rm_[0-9a-f]{32})$")
_CALLBACK: Final = re.compile(r"^https://[^\s]{1,490}$")


@dataclass(frozen=True, slots=True)
class Settings:
    """What an operator tunes."""

    threshold_usd_cents: int = ivms101.TRAVEL_RULE_THRESHOLD_USD_CENTS_DEFAULT


@dataclass(frozen=True, slots=True)
class Use:
    """What a transfer gets from the inquiry it references: the IVMS101 data (canonical,
    "" if the inquiry carried none), or why it may not use it."""

    payload: str = ""
    refusal: str = ""


class TravelRuleService:
    """Inquiries on one database, screened through `screener`."""

    def __init__(self, engine: Engine, screener: Screener, valuer: UsdValuer, standing: VaspStanding,
                 settings: Settings = Settings(), clock: Callable[[], datetime] = utc_now) -> None:
        self._engine = engine
        self._screener = screener
        self._valuer = valuer
        self._standing = standing
        self._settings = settings
        self._clock = clock

    @property
    def threshold_usd_cents(self) -> int:
        """From this USD equivalent an inquiry must carry IVMS101 data."""
        return self._settings.threshold_usd_cents

    # Inquiry

    def submit(self, party: Party, request: InquiryRequest) -> Inquiry:
        """Validate, screen, store and answer an inquiry (or answer the stored one again)."""
        _check_request(party, request)
        inquiry_id = inquiry_id_of(party, request.request_id)
        digest = request.digest()
        stored = self._stored(inquiry_id, digest)
        if stored is not None:
            return stored
        usd_cents = self._valuer.usd_cents(ASSETS[request.asset].valued_as, request.amount_minor)
        payload, parsed = "", None
        if request.ivms101 is not None:
            parsed = ivms101.parse(request.ivms101, InquiryIvms101Invalid)
            payload = canonical_json(request.ivms101)
        elif usd_cents >= self._settings.threshold_usd_cents:
            raise InquiryIvms101Missing(
                f"IVMS101 data is required from USD {self._settings.threshold_usd_cents // 100} "
                f"(this transfer is USD {usd_cents // 100}.{usd_cents % 100:02d})", field="ivms101")
        status, reason = Status.REJECTED, Reason.VASP_NOT_LICENSED.value
        screenings: tuple[PartyScreening, ...] = ()
        if party.role != "vasp" or self._standing.licensed_for_transfers(party.party_id):
            screenings = self._screen(request, parsed)
            status, reason = _answer(screenings)
        now = self._clock()
        found = Inquiry(inquiry_id, party, request.request_id, request.asset, request.amount_minor,
                        request.beneficiary_wallet_id, request.beneficiary_address, request.originator_address,
                        usd_cents, self._settings.threshold_usd_cents, payload,
                        hashlib.sha256(payload.encode()).hexdigest() if payload else "", status, reason, "",
                        request.callback_url, "", now, screenings)
        try:
            with self._engine.begin() as conn:
                repository.insert_inquiry(conn, found, digest, now)
        except IntegrityError as error:  # the same sender's id arrived at the same moment
            reraise_unless_unique(error)
            stored = self._stored(inquiry_id, digest)
            if stored is None:
                raise
            return stored
        return found

    def _stored(self, inquiry_id: str, digest: str) -> Inquiry | None:
        with self._engine.connect() as conn:
            first = repository.body_sha256(conn, inquiry_id)
            if first is None:
                return None
            if first != digest:
                raise InquiryConflict(f"inquiry id {inquiry_id} was sent with another body")
            return repository.inquiry(conn, inquiry_id)

    def _screen(self, request: InquiryRequest, parsed: ivms101.IdentityPayload | None) -> tuple[PartyScreening, ...]:
        """Every person and VASP named in the data, and every on-chain address, screened."""
        names: list[tuple[str, ivms101.Person]] = []
        if parsed is not None:
            names += [(f"originator.{n}", p) for n, p in enumerate(parsed.originator.originator_persons)]
            names += [(f"beneficiary.{n}", p) for n, p in enumerate(parsed.beneficiary.beneficiary_persons)]
            names.append(("originating_vasp", parsed.originating_vasp.originating_vasp))
            if parsed.beneficiary_vasp is not None:
                names.append(("beneficiary_vasp", parsed.beneficiary_vasp.beneficiary_vasp))
        found: list[PartyScreening] = []
        for party, person in names:
            name = ivms101.legal_name(person)
            schema = "Person" if person.natural_person is not None else "Organization"
            found.append(_kept(party, name, self._screener.screen(name, schema)))
        for party, address in (("originator_address", request.originator_address),
                               ("beneficiary_address", request.beneficiary_address)):
            if address:
                found.append(_kept(party, address, self._screener.screen_address(address)))
        return tuple(found)

    # Reads

    def inquiry(self, inquiry_id: str, party: Party | None) -> Inquiry:
        """The inquiry if `party` sent it (None: an officer or auditor, who sees every one);
        otherwise `InquiryNotFound`, the answer for one that does not exist."""
        with self._engine.connect() as conn:
            found = repository.inquiry(conn, inquiry_id)
        if found is None or (party is not None and found.party != party):
            raise InquiryNotFound(f"no inquiry {inquiry_id}")
        return found

    # Confirmation

    def confirm(self, party: Party, inquiry_id: str, tx_reference: str) -> Inquiry:
        """The transfer's reference for an approved inquiry; the same reference again
        answers the same, another one is `InquiryConflict`."""
        if not isinstance(tx_reference, str) or not _TX_REFERENCE.fullmatch(tx_reference):
            raise InquiryInvalid("tx_reference must be a transaction hash or a remittance id", field="tx_reference")
        found = self.inquiry(inquiry_id, party)
        if found.status is Status.APPROVED:
            with self._engine.begin() as conn:  # guarded: of two confirmations, one reference wins
                repository.move(conn, inquiry_id, Status.APPROVED, self._clock(), status=Status.CONFIRMED.value,
                                tx_reference=tx_reference)
            found = self.inquiry(inquiry_id, party)
        if found.status is Status.CONFIRMED:
            if found.tx_reference != tx_reference:
                raise InquiryConflict(f"inquiry {inquiry_id} is confirmed with another transaction")
            return found
        raise InquiryNotApproved(f"inquiry {inquiry_id} is {found.status.value}",
                                 inquiry_status=found.status.value)

    def use(self, party: Party, inquiry_id: str, tx_reference: str, asset: str, amount_minor: int,
            beneficiary_wallet_id: str) -> Use:
        """A transfer that references an inquiry instead of carrying IVMS101 data: the
        inquiry must be the sender's, approved (or confirmed with this very reference),
        for this asset, amount and wallet; it is then confirmed with `tx_reference`."""
        try:
            found = self.inquiry(inquiry_id, party)
        except InquiryNotFound:
            return Use(refusal="inquiry_not_found")
        if found.status in (Status.REJECTED, Status.PENDING_REVIEW):
            return Use(refusal=f"inquiry_{found.status.value}")
        for field, asked, given in (("asset", found.asset, asset), ("amount", found.amount_minor, amount_minor),
                                    ("beneficiary", found.beneficiary_wallet_id, beneficiary_wallet_id)):
            if asked != given:
                return Use(refusal=f"inquiry_mismatch:{field}")
        try:
            confirmed = self.confirm(party, inquiry_id, tx_reference)
        except InquiryConflict:
            return Use(refusal="inquiry_used_by_another_transfer")
        except InquiryNotApproved as refused:
            return Use(refusal=f"inquiry_{refused.extensions['inquiry_status']}")
        if not confirmed.payload:
            return Use()
        return Use(ivms101.canonical(ivms101.parse(json.loads(confirmed.payload), InquiryIvms101Invalid)))

    # Review

    def held(self, limit: int = HELD_PAGE_MAX) -> list[tuple[str, Sequence[str]]]:
        """Inquiries pending review, oldest first, each with its `review` screenings' reasons."""
        with self._engine.connect() as conn:
            return repository.held(conn, min(max(limit, 1), HELD_PAGE_MAX))

    def decide(self, inquiry_id: str, approve: bool, officer: str) -> Inquiry:
        """A compliance review's outcome for a held inquiry: approved, or rejected
        (`review_blocked`), and its callback owed in the same transaction (`outbox`).
        Deciding one no longer held is `InquiryNotApproved`."""
        if not officer.strip():
            raise InquiryInvalid("the deciding officer must be named", field="officer")
        values = ({"status": Status.APPROVED.value} if approve
                  else {"status": Status.REJECTED.value, "reason": Reason.REVIEW_BLOCKED.value})
        now = self._clock()
        with self._engine.begin() as conn:
            moved = repository.move(conn, inquiry_id, Status.PENDING_REVIEW, now, decided_by=officer[:200], **values)
            decided = repository.inquiry(conn, inquiry_id) if moved else None
            if decided is not None:  # the sender asked before the answer: it is owed a callback
                outbox.enqueue(conn, decided, now)
        found = self.inquiry(inquiry_id, None)
        if not moved:
            raise InquiryNotApproved(f"inquiry {inquiry_id} is {found.status.value}",
                                 inquiry_status=found.status.value)
        return found


def inquiry_id_of(party: Party, request_id: str) -> str:
    """Our id of a sender's inquiry: derived, so a retry finds the first."""
    digest = hashlib.sha256(f"travelrule\x1f{party.role}\x1f{party.party_id}\x1f{request_id}".encode()).hexdigest()
    return f"tri_{digest[:32]}"


def _kept(party: str, subject: str, screening: Screening) -> PartyScreening:
    return PartyScreening(party, subject, screening.decision.value, screening.reason)


def _answer(screenings: Sequence[PartyScreening]) -> tuple[Status, str]:
    decisions = {s.decision for s in screenings}
    if ScreeningDecision.HIT.value in decisions:
        return Status.REJECTED, Reason.SCREENING_HIT.value
    if ScreeningDecision.REVIEW.value in decisions:
        return Status.PENDING_REVIEW, ""
    return Status.APPROVED, ""


def _check_request(party: Party, request: InquiryRequest) -> None:
    """Bad input as a typed error naming the field (the routes' schemas check it first)."""
    if party.role not in ROLES or not _ID.fullmatch(party.party_id):
        raise InquiryInvalid("inquiries come from a partner or a VASP", field="party")
    if not isinstance(request.request_id, str) or not _ID.fullmatch(request.request_id):
        raise InquiryInvalid("request_id must be 1..64 letters, digits or ._:-", field="request_id")
    if request.asset not in ASSETS:
        raise InquiryInvalid(f"asset must be one of {', '.join(ASSETS)}", field="asset")
    if isinstance(request.amount_minor, bool) or not isinstance(request.amount_minor, int) \
            or not 0 < request.amount_minor <= AMOUNT_MINOR_MAX:
        raise InquiryInvalid(f"amount_minor must be a whole number 1..{AMOUNT_MINOR_MAX}", field="amount_minor")
    if bool(request.beneficiary_wallet_id) == bool(request.beneficiary_address):
        raise InquiryInvalid("name the beneficiary by exactly one of a wallet id and an on-chain address",
                             field="beneficiary")
    if request.beneficiary_wallet_id and not _ID.fullmatch(request.beneficiary_wallet_id):
        raise InquiryInvalid("beneficiary_wallet_id is not a wallet id", field="beneficiary_wallet_id")
    for field, address in (("beneficiary_address", request.beneficiary_address),
                           ("originator_address", request.originator_address)):
        if address and not _ADDRESS.fullmatch(address):
            raise InquiryInvalid(f"{field} is not an EVM or TRON address", field=field)
    if (request.beneficiary_address or request.originator_address) and not ASSETS[request.asset].on_chain:
        raise InquiryInvalid(f"{request.asset} is not sent on-chain; give no address", field="asset")
    if request.callback_url and not _CALLBACK.fullmatch(request.callback_url):
        raise InquiryInvalid("callback_url must be an https URL", field="callback_url")

