"""The remittance service: partners and their positions, corridors, quotes and rail 1
(a partner's prefunded position -> the recipient's digital som wallet, or bank account
through the alias directory). docs/remittance.md.

A remittance is idempotent by the partner's reference: its id derives from (partner,
reference), so the same reference and body answer the first outcome, another body is
`ReferenceConflict`. Bad input (unknown or expired quote, a malformed IVMS101 payload,
travel-rule data missing) is a typed error and nothing is recorded. A refusal by a rule
(screening hit, a limit, a frozen or unknown wallet, the position short) is recorded as
`returned` with its reason; nothing moved (a payout is one linked ledger chain, so it
moves whole or not at all). A screening `review` holds the remittance (`pending_review`)
with no money moved until the compliance review is decided by two officers
(`release_reviewed`, called through the composition root; no second review queue here).

Limits checked then used are decided under shared locks (`digisom.kernel.locks`, held
across processes on PostgreSQL): the partner's (its position, its monthly limit), then the
senders' (monthly limits), then the recipients' wallets (the digital som's credit rule).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from digisom.kernel.chart import CHART, LEDGER_KGS, Domain
from digisom.kernel.clock import utc_now
from digisom.kernel.db_errors import reraise_unless_unique
from digisom.kernel.errors import DomainError
from digisom.kernel.gateway import GatedLedger, LedgerWriter
from digisom.kernel.locks import SharedLocks
from digisom.kernel.results import TRANSFER_OK as _OK
from digisom.ledger.model import BATCH_EVENTS_MAX, Transfer, TransferFlags
from digisom.ledger.results import CreateAccountResult, CreateTransferResult
from digisom.money import USD
from digisom.remittance import accounts, ivms101, pricing, repository
from digisom.remittance.accounts import RemittanceTransferCode as Code
from digisom.remittance.currencies import SOURCE_CURRENCIES
from digisom.remittance.errors import (
    AmountInvalid,
    CorridorInvalid,
    CurrencyNotServed,
    FundingRefused,
    PartnerExists,
    PartnerNotFound,
    QuoteExpired,
    QuoteNotFound,
    RecipientInvalid,
    ReferenceConflict,
    RemittanceNotFound,
    Returned,
    TravelRuleInquiryRefused,
    TravelRuleMissing,
)
from digisom.remittance.model import Channel, Corridor, Partner, PartnerKind, Quote, Remittance, ReturnReason, Status
from digisom.remittance.ports import (
    NO_TRAVEL_RULE_INQUIRIES,
    BankFloats,
    CreditRequest,
    Decision,
    InquiryUse,
    Payees,
    Screener,
    Screening,
    TravelRuleInquiries,
)
from digisom.remittance.rates import RATE_AGE_MAX_DAYS_DEFAULT, ReferenceRates, reference_rate

QUOTE_TTL_S_DEFAULT: Final = 15 * 60  # long enough to read the quote and confirm, short enough for rates to hold
AMOUNT_MINOR_MAX: Final = 10**15  # far above any corridor limit; keeps every product inside 128 bits
TEXT_CHARS_MAX: Final = 200
REVIEW_PAGE_MAX: Final = 500
QUOTES_PER_CALL_MAX: Final = 8190  # one statement's worth, like a ledger batch
_CREDIT_REFUSALS: Final = {"wallet_not_found": ReturnReason.RECIPIENT_UNKNOWN,
                           "wallet_frozen": ReturnReason.WALLET_FROZEN, "wallet_closed": ReturnReason.WALLET_CLOSED}


@dataclass(frozen=True, slots=True)
class Settings:
    """What an operator tunes."""

    quote_ttl_s: int = QUOTE_TTL_S_DEFAULT
    rate_age_max_days: int = RATE_AGE_MAX_DAYS_DEFAULT
    travel_rule_threshold_usd_cents: int = ivms101.TRAVEL_RULE_THRESHOLD_USD_CENTS_DEFAULT
    batch_events_max: int = BATCH_EVENTS_MAX


@dataclass(frozen=True, slots=True)
class SendRequest:
    """A partner's instruction to pay out one remittance on a quote. The recipient is named
    by exactly one of a wallet id and a personal number (the alias directory)."""

    partner_id: str
    reference: str
    quote_id: str
    sender_id: str
    sender_name: str
    recipient_name: str
    recipient_wallet_id: str = ""
    recipient_personal_number: str = ""
    travel_rule: Mapping[str, Any] | None = None
    travel_rule_inquiry_id: str = ""  # instead of `travel_rule`: an approved inquiry (docs/travel-rule.md)

    def digest(self) -> str:
        """The body's digest: the same reference with another body is a conflict."""
        body = {k: getattr(self, k) for k in self.__dataclass_fields__}
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


Outcome = Remittance | DomainError


class RemittanceService:
    """Partners, corridors, quotes and payouts on one database and one ledger."""

    def __init__(self, engine: Engine, ledger: LedgerWriter, rates: ReferenceRates, screener: Screener,
                 payees: Payees, floats: BankFloats, settings: Settings = Settings(),
                 clock: Callable[[], datetime] = utc_now,
                 inquiries: TravelRuleInquiries = NO_TRAVEL_RULE_INQUIRIES) -> None:
        self._engine = engine
        self._inquiries = inquiries
        self._ledger = GatedLedger(Domain.REMITTANCE, CHART, ledger)
        self._rates = rates
        self._screener = screener
        self._payees = payees
        self._floats = floats
        self._settings = settings
        self._clock = clock
        self._partner_locks = SharedLocks("remittance-partners", engine)
        self._sender_locks = SharedLocks("remittance-senders", engine)

    # Partners and positions

    def onboard_partner(self, partner_id: str, name: str, kind: PartnerKind, country: str, bank_code: str,
                        month_limit_tyiyn: int) -> Partner:
        """Onboard a partner for `bank_code` and open its position (idempotent for the same details)."""
        _text("partner_id", partner_id)
        _text("name", name)
        _amount("month_limit_tyiyn", month_limit_tyiyn, zero_ok=True)
        wanted = Partner(partner_id, name, kind, country, bank_code, accounts.position_account_id(partner_id),
                         month_limit_tyiyn)
        with self._engine.begin() as conn:
            found = repository.partner(conn, partner_id)
            if found is not None and found != wanted:
                raise PartnerExists(f"partner {partner_id} is onboarded with other details")
            if found is None:
                repository.insert_partner(conn, wanted, self._clock())
        (result,) = self._ledger.create_accounts([accounts.position_account(partner_id)])
        if result not in (CreateAccountResult.ok, CreateAccountResult.exists):
            raise FundingRefused(f"the ledger refused the position account: {result.name}")
        return wanted

    def partner(self, partner_id: str) -> Partner:
        """The partner; `PartnerNotFound` if there is none."""
        with self._engine.connect() as conn:
            found = repository.partner(conn, partner_id)
        if found is None:
            raise PartnerNotFound(f"no partner {partner_id}")
        return found

    def position_tyiyn(self, partner_id: str) -> int:
        """What the partner's position holds and may pay out now."""
        found = self._ledger.lookup_accounts([accounts.position_account_id(partner_id)])
        return found[0].credits_posted - found[0].debits_posted - found[0].debits_pending if found else 0

    def prefund(self, partner_id: str, funding_id: str, amount_tyiyn: int) -> None:
        """The partner's bank moves digital som from its float into the position (the
        partner paid the bank off-ledger). Idempotent by `funding_id`."""
        self._fund(partner_id, funding_id, amount_tyiyn, "prefund")

    def defund(self, partner_id: str, funding_id: str, amount_tyiyn: int) -> None:
        """Back from the position to the bank's float. Idempotent by `funding_id`."""
        self._fund(partner_id, funding_id, amount_tyiyn, "defund")

    def _fund(self, partner_id: str, funding_id: str, amount_tyiyn: int, kind: str) -> None:
        _text("funding_id", funding_id)
        _amount("amount_tyiyn", amount_tyiyn)
        found = self.partner(partner_id)
        bank_float = self._floats.float_account_id(found.bank_code)
        debit, credit, code = ((bank_float, found.position_account_id, Code.REMITTANCE_PREFUND) if kind == "prefund"
                               else (found.position_account_id, bank_float, Code.REMITTANCE_DEFUND))
        with self._partner_locks.hold(partner_id):
            with self._engine.connect() as conn:
                done = repository.funding(conn, funding_id)
            if done is not None:
                if (done["partner_id"], done["kind"], done["amount_tyiyn"]) != (partner_id, kind, amount_tyiyn):
                    raise ReferenceConflict(f"funding {funding_id} was used with another body")
                return
            (result,) = self._ledger.create_transfers([Transfer(
                accounts.transfer_id(funding_id, kind), debit, credit, amount_tyiyn, LEDGER_KGS, int(code))])
            if result not in _OK:
                raise FundingRefused(f"the ledger refused the {kind}: {result.name}", result=result.name)
            with self._engine.begin() as conn:
                repository.insert_funding(conn, funding_id, partner_id, kind, amount_tyiyn, self._clock())

    # Corridors and quotes

    def configure_corridor(self, corridor: Corridor) -> Corridor:
        """Set the partner's corridor of one currency (replacing its earlier configuration)."""
        self.partner(corridor.partner_id)
        if corridor.currency not in SOURCE_CURRENCIES:
            raise CurrencyNotServed(f"no corridor can take {corridor.currency!r}", currency=corridor.currency)
        if not (0 <= corridor.fee_bps <= pricing.BPS and 0 <= corridor.fx_margin_bps < pricing.BPS
                and corridor.fee_fixed_minor >= 0 and 0 < corridor.transfer_max_minor <= AMOUNT_MINOR_MAX
                and corridor.transfer_max_minor <= corridor.sender_month_max_minor <= AMOUNT_MINOR_MAX):
            raise CorridorInvalid("fees 0..10000 bps, margin 0..9999 bps, 0 < transfer max <= sender month max")
        with self._engine.begin() as conn:
            repository.upsert_corridor(conn, corridor)
        return corridor

    def corridor(self, partner_id: str, currency: str) -> Corridor:
        """The partner's corridor of `currency`; `CurrencyNotServed` if it has none."""
        with self._engine.connect() as conn:
            found = repository.corridor(conn, partner_id, currency)
        if found is None:
            raise CurrencyNotServed(f"partner {partner_id} has no corridor for {currency!r}", currency=currency)
        return found

    def quote(self, partner_id: str, currency: str, send_minor: int) -> Quote:
        """Price sending `send_minor` (minor units of `currency`) through the partner: one
        conversion at the reference rate less the corridor's margin, every fee itemised."""
        (quote,) = self.quote_many(partner_id, currency, [send_minor])
        return quote

    def quote_many(self, partner_id: str, currency: str, amounts_minor: Sequence[int]) -> list[Quote]:
        """One quote per amount, recorded in one statement (at most `QUOTES_PER_CALL_MAX`)."""
        if not 0 < len(amounts_minor) <= QUOTES_PER_CALL_MAX:
            raise AmountInvalid(f"1..{QUOTES_PER_CALL_MAX} amounts per call")
        for amount in amounts_minor:
            _amount("send_minor", amount)
        corridor = self.corridor(partner_id, currency)
        now = self._clock()
        rate = reference_rate(self._rates, currency, now.date(), self._settings.rate_age_max_days)
        usd_e6 = self._usd_e6(currency, now.date())
        expires_at = now + timedelta(seconds=self._settings.quote_ttl_s)
        quotes: list[Quote] = []
        for send_minor in amounts_minor:
            figures = pricing.price(corridor, send_minor, rate.som_e6)
            if figures.receive_tyiyn <= 0:
                raise AmountInvalid("the amount converts to less than one tyiyn")
            quotes.append(Quote(
                f"q_{secrets.token_hex(16)}", partner_id, corridor.corridor_id, currency, send_minor,
                figures.fee_fixed_minor, figures.fee_pct_minor, figures.fx_margin_minor, figures.reference_e6,
                figures.applied_e6, rate.on.isoformat(), figures.receive_tyiyn,
                pricing.usd_equivalent_cents(currency, send_minor, rate.som_e6, usd_e6), figures.all_in_cost_ppm,
                now, expires_at))
        with self._engine.begin() as conn:
            repository.insert_quotes(conn, quotes)
        return quotes

    def quote_of(self, partner_id: str, quote_id: str) -> Quote:
        """One of the partner's quotes (expired or not); `QuoteNotFound` otherwise."""
        with self._engine.connect() as conn:
            found = repository.quotes(conn, [quote_id]).get(quote_id)
        if found is None or found.partner_id != partner_id:
            raise QuoteNotFound(f"no quote {quote_id}")
        return found

    def rpw_costs_ppm(self, partner_id: str, currency: str) -> dict[int, int]:
        """The all-in cost of sending 200 and 500 USD equivalent (US cents -> millionths)."""
        corridor = self.corridor(partner_id, currency)
        today = self._clock().date()
        rate = reference_rate(self._rates, currency, today, self._settings.rate_age_max_days)
        return pricing.rpw_costs_ppm(corridor, rate.som_e6, self._usd_e6(currency, today))

    def _usd_e6(self, currency: str, today: date) -> int:
        if currency == USD.code:
            return reference_rate(self._rates, currency, today, self._settings.rate_age_max_days).som_e6
        return reference_rate(self._rates, USD.code, today, self._settings.rate_age_max_days).som_e6

    # Rail 1

    def send(self, request: SendRequest) -> Remittance:
        """Pay out one remittance; `Returned` (with the reason) if a rule refused it."""
        (outcome,) = self.send_many([request])
        if isinstance(outcome, DomainError):
            raise outcome
        if outcome.status is Status.RETURNED:
            raise Returned(outcome.remittance_id, outcome.reason)
        return outcome

    def send_many(self, requests: Sequence[SendRequest]) -> list[Outcome]:
        """Pay out a batch of remittances of one partner: a few statements and one ledger
        batch per `batch_events_max` events, whatever its size. One outcome per request:
        the remittance as recorded (paid, held for review or returned) or the typed error
        of bad input (nothing recorded)."""
        partner_ids = {r.partner_id for r in requests}
        if len(partner_ids) > 1:
            return [RecipientInvalid("a batch carries one partner's remittances") for _ in requests]
        if not requests:
            return []
        partner = self.partner(next(iter(partner_ids)))
        now = self._clock()
        ids = [_remittance_id(r) for r in requests]
        with self._engine.connect() as conn:
            known = repository.remittances(conn, ids)
            quotes = repository.quotes(conn, [r.quote_id for r in requests])
            used = repository.quote_users(conn, [r.quote_id for r in requests])
        outcomes: list[Outcome | None] = [None] * len(requests)
        fresh: dict[str, tuple[int, SendRequest, Quote, str]] = {}  # id -> (index, request, quote, travel rule)
        for index, (request, remittance_id) in enumerate(zip(requests, ids, strict=True)):
            digest = request.digest()
            earlier = known.get(remittance_id) or (
                (None, fresh[remittance_id][1].digest()) if remittance_id in fresh else None)
            if earlier is not None:
                outcomes[index] = (earlier[0] if earlier[1] == digest and earlier[0] is not None
                                   else ReferenceConflict(f"reference {request.reference} was used with another body")
                                   if earlier[1] != digest else None)
                continue
            try:
                quote, travel_rule = self._accepted(request, quotes.get(request.quote_id), used, now)
            except DomainError as error:
                outcomes[index] = error
                continue
            used[request.quote_id] = remittance_id
            fresh[remittance_id] = (index, request, quote, travel_rule)
        if fresh:
            for remittance_id, remittance in self._decide(partner, fresh, now).items():
                outcomes[fresh[remittance_id][0]] = remittance
        # A repeat of a reference inside the batch answers what its first occurrence got.
        final: list[Outcome] = []
        for index, outcome in enumerate(outcomes):
            final.append(outcome if outcome is not None else self._first_outcome(ids[index], outcomes, ids))
        return final

    def _first_outcome(self, remittance_id: str, outcomes: Sequence[Outcome | None], ids: Sequence[str]) -> Outcome:
        first = outcomes[ids.index(remittance_id)]
        if first is None:
            raise RuntimeError("a reference repeated in a batch has no first outcome")  # broken invariant
        return first

    def _accepted(self, request: SendRequest, quote: Quote | None, used: Mapping[str, str],
                  now: datetime) -> tuple[Quote, str]:
        """The request's quote and canonical travel-rule data, or the typed error of bad input."""
        _text("reference", request.reference)
        _text("sender_id", request.sender_id)
        _text("sender_name", request.sender_name)
        _text("recipient_name", request.recipient_name)
        if bool(request.recipient_wallet_id) == bool(request.recipient_personal_number):
            raise RecipientInvalid("name the recipient by exactly one of a wallet id and a personal number")
        if quote is None or quote.partner_id != request.partner_id:
            raise QuoteNotFound(f"no quote {request.quote_id}")
        if now >= quote.expires_at:
            raise QuoteExpired(f"quote {quote.quote_id} expired at {quote.expires_at.isoformat()}",
                               quote_id=quote.quote_id)
        if request.quote_id in used:
            raise ReferenceConflict(f"quote {quote.quote_id} was used by remittance {used[request.quote_id]}")
        travel_rule = ""
        if request.travel_rule is not None:
            travel_rule = ivms101.canonical(ivms101.parse(request.travel_rule))
        if request.travel_rule_inquiry_id:  # the data was exchanged before, in an inquiry it must match
            inquired = InquiryUse(refusal="inline_and_inquiry") if travel_rule else self._inquiries.use(
                request.partner_id, request.travel_rule_inquiry_id, _remittance_id(request), quote.currency,
                quote.send_minor, request.recipient_wallet_id)
            if inquired.refusal:
                raise TravelRuleInquiryRefused(f"travel-rule inquiry {request.travel_rule_inquiry_id[:64]}: "
                                               f"{inquired.refusal}", reason=inquired.refusal)
            travel_rule = inquired.payload
        if not travel_rule and quote.usd_equivalent_cents >= self._settings.travel_rule_threshold_usd_cents:
            raise TravelRuleMissing(
                f"IVMS101 data is required from USD {self._settings.travel_rule_threshold_usd_cents // 100}")
        return quote, travel_rule

    def _decide(self, partner: Partner, fresh: Mapping[str, tuple[int, SendRequest, Quote, str]],
                now: datetime) -> dict[str, Remittance]:
        """Screen, check the senders' limits, record, then pay what may be paid."""
        partner_screening = self._screener.screen(partner.name, "Organization")
        corridors = {q.corridor_id for _i, _r, q, _t in fresh.values()}
        with self._engine.connect() as conn:
            corridor_of = repository.corridors_by_id(conn, corridors)
        month = now.strftime("%Y-%m")
        rows: dict[str, Remittance] = {}
        screenings: list[dict[str, str]] = []
        senders = sorted({f"{q.corridor_id}\x1f{r.sender_id}" for _i, r, q, _t in fresh.values()})
        with self._partner_locks.hold(partner.partner_id), self._sender_locks.hold(*senders):
            with self._engine.connect() as conn:
                usage = {cid: repository.sender_usage(conn, cid, month, [r.sender_id for _i, r, q, _t
                                                                           in fresh.values() if q.corridor_id == cid])
                         for cid in corridors}
            for remittance_id, (_index, request, quote, travel_rule) in fresh.items():
                parties = {"partner": partner_screening,
                           "sender": self._screener.screen(request.sender_name, "Person"),
                           "recipient": self._screener.screen(request.recipient_name, "Person")}
                screenings += [{"remittance_id": remittance_id, "party": party, "decision": s.decision.value,
                                "reason": s.reason[:500]} for party, s in parties.items()]
                corridor = corridor_of[quote.corridor_id]
                used_minor = usage[quote.corridor_id].get(request.sender_id, 0)
                status, reason = self._screened(partner, corridor, quote, used_minor, parties.values())
                if status is not Status.RETURNED:
                    usage[quote.corridor_id][request.sender_id] = used_minor + quote.send_minor
                rows[remittance_id] = Remittance(
                    remittance_id, partner.partner_id, request.reference, quote.quote_id, quote.corridor_id,
                    request.sender_id, request.sender_name, request.recipient_name, request.recipient_wallet_id,
                    request.recipient_personal_number, quote.send_minor, quote.receive_tyiyn, month, status,
                    reason, "", 0, 0, 0, travel_rule, now)
            digests = {rid: fresh[rid][1].digest() for rid in rows}
            try:
                with self._engine.begin() as conn:
                    repository.insert_remittances(conn, [(r, digests[rid]) for rid, r in rows.items()],
                                                  screenings, now)
            except IntegrityError as exc:  # another process took a reference or quote in between
                reraise_unless_unique(exc)
                raise ReferenceConflict("a reference or quote of this batch was just used") from exc
            paying = [r for r in rows.values() if r.status is Status.PAYING]
            rows.update(self._pay(partner, paying, now))
        return rows

    def _screened(self, partner: Partner, corridor: Corridor, quote: Quote, used_minor: int,
                  screenings: Sequence[Screening] | Any) -> tuple[Status, str]:
        """The state a new remittance starts in: returned (and why), held or paying."""
        decisions = [s.decision for s in screenings]
        if Decision.HIT in decisions:
            return Status.RETURNED, ReturnReason.SCREENING_HIT.value
        if not partner.active:
            return Status.RETURNED, ReturnReason.PARTNER_INACTIVE.value
        if quote.send_minor > corridor.transfer_max_minor:
            return Status.RETURNED, ReturnReason.TRANSFER_LIMIT.value
        if used_minor + quote.send_minor > corridor.sender_month_max_minor:
            return Status.RETURNED, ReturnReason.SENDER_MONTH_LIMIT.value
        if Decision.REVIEW in decisions:
            return Status.PENDING_REVIEW, ""
        return Status.PAYING, ""

    def _pay(self, partner: Partner, paying: Sequence[Remittance], now: datetime) -> dict[str, Remittance]:
        """Pay `paying` (recorded as `paying`, the partner's lock held): the partner's limit
        and position first, then each recipient's credit by the digital som's rule, then the
        ledger, one linked chain per remittance. Returns each one's final state."""
        if not paying:
            return {}
        with self._engine.connect() as conn:
            paid_month = repository.partner_paid_tyiyn(conn, partner.partner_id, now.strftime("%Y-%m"))
        position = self.position_tyiyn(partner.partner_id)
        pins = sorted({r.recipient_personal_number for r in paying if r.recipient_personal_number})
        destinations = self._payees.resolve(pins) if pins else {}
        final: dict[str, Remittance] = {}
        to_credit: list[tuple[Remittance, str, int]] = []  # (remittance, channel, bank float account or 0)
        for remittance in paying:
            if paid_month + remittance.receive_tyiyn > partner.month_limit_tyiyn:
                final[remittance.remittance_id] = _returned(remittance, ReturnReason.PARTNER_MONTH_LIMIT)
                continue
            if position < remittance.receive_tyiyn:
                final[remittance.remittance_id] = _returned(remittance, ReturnReason.POSITION_INSUFFICIENT)
                continue
            wallet_id = remittance.recipient_wallet_id
            if remittance.recipient_personal_number:
                found = destinations.get(remittance.recipient_personal_number)
                if found is None:
                    final[remittance.remittance_id] = _returned(remittance, ReturnReason.RECIPIENT_UNKNOWN)
                    continue
                if found.channel == Channel.BANK_ACCOUNT.value:
                    to_credit.append((remittance, Channel.BANK_ACCOUNT.value, found.account_id))
                    paid_month += remittance.receive_tyiyn
                    position -= remittance.receive_tyiyn
                    continue
                wallet_id = found.wallet_id or ""
            to_credit.append((replace(remittance, recipient_wallet_id=wallet_id), Channel.WALLET.value, 0))
            paid_month += remittance.receive_tyiyn
            position -= remittance.receive_tyiyn
        wallet_ids = sorted({r.recipient_wallet_id for r, channel, _a in to_credit if channel == Channel.WALLET.value})
        with self._payees.held(wallet_ids):
            requests = [CreditRequest(r.recipient_wallet_id, r.receive_tyiyn, partner.position_account_id,
                                      int(Code.REMITTANCE_PAYOUT), int(Code.REMITTANCE_WATERFALL))
                        for r, channel, _a in to_credit if channel == Channel.WALLET.value]
            plans = iter(self._payees.plan_credits(requests))
            chains: list[tuple[Remittance, list[Transfer], str, int, int, int]] = []
            for remittance, channel, bank_float in to_credit:
                if channel == Channel.BANK_ACCOUNT.value:
                    leg = Transfer(accounts.transfer_id(remittance.remittance_id, "bank-payout"),
                                   partner.position_account_id, bank_float, remittance.receive_tyiyn, LEDGER_KGS,
                                   int(Code.REMITTANCE_BANK_PAYOUT))
                    chains.append((remittance, [leg], channel, 0, 0, remittance.receive_tyiyn))
                    continue
                plan = next(plans)
                if isinstance(plan, str):
                    final[remittance.remittance_id] = _returned(
                        remittance, _CREDIT_REFUSALS.get(plan, ReturnReason.RECIPIENT_UNKNOWN))
                    continue
                legs = [Transfer(accounts.transfer_id(remittance.remittance_id, leg.name), leg.debit_account_id,
                                 leg.credit_account_id, leg.amount_tyiyn, LEDGER_KGS, leg.code)
                        for leg in plan.legs]
                chains.append((remittance, legs, channel, plan.to_wallet_tyiyn, plan.waterfall_tyiyn, 0))
            failed = self._submit([legs for _r, legs, *_rest in chains])
        for (remittance, _legs, channel, wallet, waterfall, bank), refused in zip(chains, failed, strict=True):
            final[remittance.remittance_id] = (
                _returned(remittance, ReturnReason.LEDGER_REFUSED, refused) if refused
                else replace(remittance, status=Status.PAID, channel=channel, to_wallet_tyiyn=wallet,
                             waterfall_tyiyn=waterfall, to_bank_tyiyn=bank))
        with self._engine.begin() as conn:
            repository.set_outcomes(conn, [_outcome_row(r, Status.PAYING) for r in final.values()], now)
        return final

    def _submit(self, chains: Sequence[Sequence[Transfer]]) -> list[str]:
        """Submit linked chains in ledger batches of at most `batch_events_max` events (a
        chain never split); for each chain "" if it posted, else the ledger's result."""
        failed: list[str] = []
        batch: list[Transfer] = []
        sizes: list[int] = []

        def flush() -> None:
            results = self._ledger.create_transfers(batch) if batch else []
            offset = 0
            for size in sizes:
                codes = results[offset:offset + size]
                bad = [c for c in codes if c not in _OK and c is not CreateTransferResult.linked_event_failed]
                failed.append(bad[0].name if bad else "")
                offset += size
            batch.clear()
            sizes.clear()

        for chain in chains:
            if len(batch) + len(chain) > self._settings.batch_events_max:
                flush()
            linked = [t._replace(flags=t.flags | TransferFlags.LINKED) for t in chain[:-1]]
            batch.extend([*linked, chain[-1]])
            sizes.append(len(chain))
        flush()
        return failed

    # Review

    def review_queue(self, limit: int = REVIEW_PAGE_MAX) -> list[Remittance]:
        """Remittances held on a compliance review, oldest first (the queue officers work is compliance's)."""
        with self._engine.connect() as conn:
            return repository.by_status(conn, Status.PENDING_REVIEW, min(max(limit, 1), REVIEW_PAGE_MAX))

    def release_reviewed(self, remittance_id: str, cleared: bool, officer: str, note: str) -> Remittance:
        """Act on the compliance review that held `remittance_id`, once it is finally decided
        by two officers (`digisom.compliance`: one queue, one four-eyes rule; the remittance
        domain decides nothing itself): cleared, it is paid (if the partner's limit, its
        position and the wallet still allow); confirmed, it is returned with the reason
        `review_blocked`. `officer` is the approving officer, `note` the decision. Idempotent:
        a remittance no longer held is answered as it stands."""
        _text("officer", officer)
        with self._engine.connect() as conn:
            found = repository.remittances(conn, [remittance_id]).get(remittance_id)
        if found is None:
            raise RemittanceNotFound(f"no remittance {remittance_id}")
        partner = self.partner(found[0].partner_id)
        now = self._clock()
        with self._partner_locks.hold(partner.partner_id):
            with self._engine.begin() as conn:
                held = repository.remittances(conn, [remittance_id])[remittance_id][0]
                if held.status is not Status.PENDING_REVIEW:
                    return held  # released before (a retry of the same decision)
                repository.insert_review(conn, remittance_id, "clear" if cleared else "block", officer,
                                         note[:500], now)
                outcome = (replace(held, status=Status.PAYING) if cleared
                           else _returned(held, ReturnReason.REVIEW_BLOCKED))
                repository.set_outcomes(conn, [_outcome_row(outcome, Status.PENDING_REVIEW)], now)
            if not cleared:
                return outcome
            return self._pay(partner, [outcome], now)[remittance_id]

    def remittance(self, partner_id: str, remittance_id: str) -> Remittance:
        """One of the partner's remittances."""
        with self._engine.connect() as conn:
            found = repository.remittances(conn, [remittance_id]).get(remittance_id)
        if found is None or found[0].partner_id != partner_id:
            raise RemittanceNotFound(f"no remittance {remittance_id}")
        return found[0]


def _remittance_id(request: SendRequest) -> str:
    return f"rm_{accounts.derive_id('remittance', request.partner_id, request.reference):032x}"


def _returned(remittance: Remittance, reason: ReturnReason, detail: str = "") -> Remittance:
    return replace(remittance, status=Status.RETURNED, reason=f"{reason.value}:{detail}" if detail else reason.value,
                   to_wallet_tyiyn=0, waterfall_tyiyn=0, to_bank_tyiyn=0)


def _outcome_row(remittance: Remittance, from_status: Status) -> dict[str, Any]:
    return {"id": remittance.remittance_id, "from": from_status.value, "status": remittance.status.value,
            "reason": remittance.reason, "channel": remittance.channel, "wallet": remittance.to_wallet_tyiyn,
            "waterfall": remittance.waterfall_tyiyn, "bank": remittance.to_bank_tyiyn}


def _text(name: str, value: str) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > TEXT_CHARS_MAX:
        raise RecipientInvalid(f"{name} must be 1..{TEXT_CHARS_MAX} characters", field=name)


def _amount(name: str, value: int, zero_ok: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < (0 if zero_ok else 1) \
            or value > AMOUNT_MINOR_MAX:
        raise AmountInvalid(f"{name} must be a whole number of minor units, 1..{AMOUNT_MINOR_MAX}", field=name)
