"""The exchange's records: who sent an inquiry, what it asked, how it was answered."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """An inquiry's answer, then its confirmation (TRP: inquiry resolution, then confirmation)."""

    APPROVED = "approved"
    REJECTED = "rejected"
    PENDING_REVIEW = "pending_review"  # a compliance officer decides (four eyes)
    CONFIRMED = "confirmed"  # approved, and the transfer's reference given


class Reason(StrEnum):
    """Why an inquiry was rejected."""

    SCREENING_HIT = "screening_hit"
    REVIEW_BLOCKED = "review_blocked"
    VASP_NOT_LICENSED = "vasp_not_licensed"


@dataclass(frozen=True, slots=True)
class Party:
    """Who sends inquiries: a remittance partner or a licensed VASP, by its token's subject."""

    role: str  # "partner" or "vasp"
    party_id: str


@dataclass(frozen=True, slots=True)
class InquiryRequest:
    """An originator's inquiry before a transfer. `request_id` is the sender's own id (its
    retries carry the same); the beneficiary is a digital som wallet or an on-chain address."""

    request_id: str
    asset: str
    amount_minor: int
    beneficiary_wallet_id: str = ""
    beneficiary_address: str = ""
    originator_address: str = ""
    ivms101: Mapping[str, Any] | None = None
    callback_url: str = ""

    def digest(self) -> str:
        """The body's digest: the same request id with another body is a conflict."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True, default=str).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class PartyScreening:
    """One screening of an inquiry: which party or address, the decision and why."""

    party: str
    subject: str
    decision: str
    reason: str


@dataclass(frozen=True, slots=True)
class Inquiry:
    """An inquiry as stored: the request, the payload as received and its SHA-256, the
    USD equivalent the threshold was checked on, the answer and the confirmation."""

    inquiry_id: str
    party: Party
    request_id: str
    asset: str
    amount_minor: int
    beneficiary_wallet_id: str
    beneficiary_address: str
    originator_address: str
    usd_equivalent_cents: int
    threshold_usd_cents: int
    payload: str
    payload_sha256: str
    status: Status
    reason: str
    tx_reference: str
    callback_url: str
    decided_by: str
    created_at: datetime
    screenings: tuple[PartyScreening, ...] = ()

    @property
    def ivms101_required(self) -> bool:
        """Whether the amount was at or above the threshold."""
        return self.usd_equivalent_cents >= self.threshold_usd_cents
