"""Wiring of the RTGS into the API process: a bank's settlement account is its reserve
account of the digital som, the RTGS is built on its first use, and a pacs.008's debtor
and creditor names are screened by the compliance desk (`InterbankPartyScreener`, context
`interbank_message`). `RtgsScreeningReleases` turns a decided compliance review into the
RTGS's `release_screened` (docs/interbank.md, "Screening of debtor and creditor")."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Final

from fastapi import FastAPI
from sqlalchemy import Engine

from digisom.api.screening_wiring import decision_reason, screening_ids, settle_held
from digisom.cbdc.accounts import AccountCode, account, bank_account_id
from digisom.compliance.desk import ComplianceDesk
from digisom.compliance.model import SubjectSchema
from digisom.compliance.releases import FinalDecision
from digisom.http.services import Lazy, provide
from digisom.interbank.context import RtgsContext
from digisom.interbank.http.slots import RTGS
from digisom.interbank.lsm import LSM_RULES, SettlementRules
from digisom.interbank.ports import PartyRole, PartyScreening, PartyVerdict, ScreeningDecision
from digisom.interbank.records import StopStatus
from digisom.interbank.rtgs import Rtgs
from digisom.kernel.clock import utc_now
from digisom.ledger.model import Account
from digisom.ledger.service import Ledger
from digisom.stores.url import engine_store_url, open_store

RTGS_REQUESTER: Final = "system:rtgs"
SCREENING_CONTEXT: Final = "interbank_message"


def cbdc_settlement_account(bank_code: str) -> Account:
    """A bank's settlement account is its reserve account of the digital som."""
    return account(bank_account_id(bank_code, AccountCode.BANK_RESERVE), AccountCode.BANK_RESERVE)


class InterbankPartyScreener:
    """The RTGS's `PartyScreening` over the compliance desk: each name screened and recorded
    under `interbank_message`, as a person or an organisation (a pacs.008 party may be
    either); a `review` opens a review in the compliance queue."""

    def __init__(self, desk: ComplianceDesk) -> None:
        self._desk = desk

    def screen_party(self, name: str, role: PartyRole) -> PartyVerdict:
        """Screen and record `name`; the reason starts with the screening id (`screening:<id>`)."""
        recorded = self._desk.screen_name(name, SubjectSchema.ANY, context=f"{SCREENING_CONTEXT}:{role.value}",
                                          requested_by=RTGS_REQUESTER)
        return PartyVerdict(ScreeningDecision(recorded.result.decision.value), decision_reason(recorded))


class RtgsScreeningReleases:
    """`ReviewSubscriber` of `interbank_message:debtor` and `:creditor`: each payment held on
    the review is rejected if any of its reviews was confirmed, released into the queue once
    all of them are cleared, else left held. Only held stops are looked at, so a retried
    release does nothing twice."""

    def __init__(self, desk: ComplianceDesk, rtgs: Callable[[], Rtgs]) -> None:
        self._desk = desk
        self._rtgs = rtgs

    def contexts(self) -> dict[str, RtgsScreeningReleases]:
        """The screening contexts this subscriber answers for, as `subscribe_api` takes them."""
        return {f"{SCREENING_CONTEXT}:{role.value}": self for role in PartyRole}

    def __call__(self, decision: FinalDecision) -> str:
        """Act on the RTGS's payments held on `decision`'s screening."""
        rtgs = self._rtgs()
        held = {str(stop.seq): [sid for verdict, reason in ((stop.debtor_decision, stop.debtor_reason),
                                                             (stop.creditor_decision, stop.creditor_reason))
                                if verdict == ScreeningDecision.REVIEW.value
                                and (sid := screening_ids(reason)) is not None]
                for stop in rtgs.screening_stops(StopStatus.HELD)}

        def settle(seq: str, cleared: bool) -> str:
            rtgs.release_screened(int(seq), cleared, decision.approved_by)
            return f"held payment {seq}: {'released into the queue' if cleared else 'rejected'}"

        return "; ".join(settle_held(self._desk, decision, held, settle)) or "no payment held on this screening"


def build_rtgs(
    engine: Engine, ledger_url: str, clock: Callable[[], datetime] = utc_now, *, screening: PartyScreening,
    rules: SettlementRules = LSM_RULES,
) -> tuple[Rtgs, Callable[[], None]]:
    """The RTGS on `engine`'s database with its own ledger writer on `ledger_url`, and
    what closes that writer. (A second writer is safe: the ledger drops its caches when
    another writer committed in between.) `screening` has no default: a builder without
    screening passes `interbank.ports.NO_PARTY_SCREENING`."""
    store = open_store(ledger_url)
    ctx = RtgsContext(engine=engine, ledger=Ledger(store), settlement_account=cbdc_settlement_account, clock=clock,
                      screening=screening, rules=rules)
    return Rtgs(ctx), store.close


def attach(app: FastAPI, engine: Engine, clock: Callable[[], datetime] = utc_now, *,
           screening: PartyScreening, rules: SettlementRules = LSM_RULES) -> Lazy[Rtgs]:
    """Let `app` build its RTGS on first use (on `engine`, the digital som's database, on
    the process's `clock`, screening with `screening`), and close its ledger writer at
    shutdown; it settles by `rules`. Returns the lazy RTGS (a review listener releases held
    payments through it)."""
    built = Lazy(lambda: build_rtgs(engine, engine_store_url(engine), clock, screening=screening, rules=rules))
    provide(app, RTGS, built)
    app.router.on_shutdown.append(built.close)
    return built
