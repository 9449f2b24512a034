"""Wiring of the travel-rule exchange (`digisom.travelrule`): screening through the
compliance desk (the kernel's `Screener`, recorded under the context `travel_rule`), the
USD equivalent from the remittance domain's reference rates, the VASP standing from the
register's licences (`RegisterStanding`), the remittance domain's `TravelRuleInquiries`
port over the exchange, held inquiries released or rejected when two officers decide
their compliance review, and the callbacks those decisions owe delivered (`attach_callbacks`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from sqlalchemy import Engine

from digisom.api.screening_wiring import RemittanceScreener, screening_ids, settle_held
from digisom.compliance.desk import ComplianceDesk
from digisom.compliance.releases import FinalDecision
from digisom.http.services import provide
from digisom.kernel.clock import utc_now
from digisom.money import KGS, USD
from digisom.registry.licensing import Activity, Licensing
from digisom.remittance import pricing
from digisom.remittance.ports import InquiryUse
from digisom.remittance.rates import RATE_AGE_MAX_DAYS_DEFAULT, RATE_SCALE, ReferenceRates, reference_rate
from digisom.travelrule.callbacks import CallbackDeliverer, CallbackSettings, CallbackWorker
from digisom.travelrule.http.slots import TRAVEL_RULE_SERVICE
from digisom.travelrule.migrations import migrate
from digisom.travelrule.model import Party
from digisom.travelrule.ports import VaspStanding
from digisom.travelrule.service import Settings, TravelRuleService

CONTEXT: Final = "travel_rule"
REQUESTER: Final = "system:travel-rule"


class RatesUsdValuer:
    """`UsdValuer` over the National Bank's reference rates (the remittance's port): the
    som through the dollar's rate, other currencies by `pricing.usd_equivalent_cents`."""

    def __init__(self, rates: ReferenceRates, clock: Callable[[], datetime] = utc_now,
                 rate_age_max_days: int = RATE_AGE_MAX_DAYS_DEFAULT) -> None:
        self._rates = rates
        self._clock = clock
        self._age_max_days = rate_age_max_days

    def usd_cents(self, currency: str, amount_minor: int) -> int:
        """US cents, rounded down; a missing or stale rate is the remittance's typed refusal."""
        if currency == USD.code:
            return amount_minor
        today = self._clock().date()
        usd_e6 = reference_rate(self._rates, USD.code, today, self._age_max_days).som_e6
        if currency == KGS.code:  # tyiyn -> cents: both currencies have two decimals
            return amount_minor * RATE_SCALE // usd_e6
        rate_e6 = reference_rate(self._rates, currency, today, self._age_max_days).som_e6
        return pricing.usd_equivalent_cents(currency, amount_minor, rate_e6, usd_e6)


class RegisterStanding:
    """`VaspStanding` over the register's VASP licensing: a VASP may send customer transfers
    while its licence is in force today (licensed, not suspended, revoked or expired) and
    permits the `transfer` activity."""

    def __init__(self, licensing: Licensing) -> None:
        self._licensing = licensing

    def licensed_for_transfers(self, vasp_id: str) -> bool:
        licence = self._licensing.licence_for(vasp_id)
        return (licence is not None and licence.active_on(self._licensing.today())
                and Activity.TRANSFER in licence.activities)


class RemittanceInquiries:
    """The remittance domain's `TravelRuleInquiries` over the exchange: a partner's inquiry."""

    def __init__(self, service: TravelRuleService) -> None:
        self._service = service

    def use(self, partner_id: str, inquiry_id: str, remittance_id: str, currency: str, amount_minor: int,
            recipient_wallet_id: str) -> InquiryUse:
        """The exchange's answer, in the remittance's words."""
        found = self._service.use(Party("partner", partner_id), inquiry_id, remittance_id, currency, amount_minor,
                                  recipient_wallet_id)
        return InquiryUse(found.payload, found.refusal)


class InquiryReleases:
    """`ReviewSubscriber` of `travel_rule`: each inquiry held on the review is rejected if
    any of its reviews was confirmed, approved once all of them are cleared, else left held."""

    def __init__(self, desk: ComplianceDesk, service: TravelRuleService) -> None:
        self._desk = desk
        self._service = service

    def __call__(self, decision: FinalDecision) -> str:
        """Act on the inquiries held on `decision`'s screening."""
        def settle(inquiry_id: str, clear: bool) -> str:
            decided = self._service.decide(inquiry_id, clear, decision.approved_by)
            return f"{inquiry_id}: {decided.status.value}"

        held = {inquiry_id: [sid for sid in map(screening_ids, reasons) if sid is not None]
                for inquiry_id, reasons in self._service.held()}
        return "; ".join(settle_held(self._desk, decision, held, settle)) or "no inquiry held on this screening"


def build_travelrule(engine: Engine, desk: ComplianceDesk, rates: ReferenceRates, rate_age_max_days: int,
                     standing: VaspStanding, settings: Settings | None = None,
                     clock: Callable[[], datetime] = utc_now) -> TravelRuleService:
    """Migrate the exchange's tables and build it on `engine`'s database."""
    migrate(engine)
    return TravelRuleService(engine, RemittanceScreener(desk, CONTEXT, REQUESTER),
                             RatesUsdValuer(rates, clock, rate_age_max_days), standing, settings or Settings(), clock)


def attach(app: FastAPI, service: TravelRuleService) -> None:
    """Fill the travel-rule routes' slot."""
    provide(app, TRAVEL_RULE_SERVICE, service)


def attach_callbacks(app: FastAPI, engine: Engine, key: Ed25519PrivateKey, settings: CallbackSettings | None,
                     every_s: float | None, clock: Callable[[], datetime] = utc_now) -> CallbackDeliverer:
    """The callbacks' deliverer, signing with the platform `key`; with `every_s`, run by a
    worker while the app runs (several processes on PostgreSQL each claim other rows)."""
    deliverer = CallbackDeliverer(engine, key, settings or CallbackSettings(), clock)
    app.state.travelrule_callbacks = deliverer
    if every_s:
        worker = CallbackWorker(deliverer, every_s)
        app.router.on_startup.append(worker.start)
        app.router.on_shutdown.append(worker.stop)
    return deliverer
