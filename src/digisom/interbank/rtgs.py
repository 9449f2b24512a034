"""`Rtgs`: the interbank settlement service, the one door the entry points use.

`submit(xml)` takes a pacs.008, pacs.009 or pacs.004 and answers with a pacs.002: ACSC
(settled on the ledger), PDNG (queued for liquidity) or RJCT (refused, with its ISO reason
code). A message is never half-settled: the ledger commits a payment's chain whole or
not at all, and a refused message moves nothing. Duplicates (same message id from the
same bank, or same end-to-end id from the same bank on the same day) are answered with
the original's status and never settled twice; the database's UNIQUE constraints are
the last word on what is a duplicate.

A pacs.008's debtor and creditor names are screened before it enters the queue
(`digisom.interbank.screening`): a hit is refused (RJCT RR04), a review is held out of the
queue (`held_for_screening`, answered PDNG) until `release_screened` carries an officer's
decision; every stop is kept in `interbank_screening_stops` (`screening_stops`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Final

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from digisom.interbank import eod, repository, stops
from digisom.interbank.accounts import (
    LIQUIDITY_SOURCE_ID,
    PLEDGES_ID,
    TransferCode,
    available,
    central_accounts,
    credit_line_account,
    transfer_id,
)
from digisom.interbank.business_days import CalendarError
from digisom.interbank.chains import payment_legs
from digisom.interbank.context import RtgsContext
from digisom.interbank.errors import InvalidRequest, NotYourBank, RtgsConflict, StopNotFound, UnknownBank
from digisom.interbank.intake import Instruction, check_business, check_return, instruction, resolve
from digisom.interbank.iso20022 import (
    Iso20022Error,
    MessageType,
    ReasonCode,
    StatusReport,
    TransactionStatus,
    build_pacs002,
    parse_inbound,
    rejection_for,
)
from digisom.interbank.ledger_port import ensure_accounts
from digisom.interbank.lsm import Settlement, Settler
from digisom.interbank.migrations import migrate
from digisom.interbank.notices import status_report
from digisom.interbank.ports import ScreeningDecision
from digisom.interbank.records import (
    Bank,
    DayReport,
    PaymentRecord,
    PaymentStatus,
    ScreeningStop,
    StopStatus,
    StoredMessage,
)
from digisom.interbank.screening import screened
from digisom.interbank.settlement import engine_payment, multilateral, run_step
from digisom.interbank.tables import OFFICER_CHARS
from digisom.kernel.chart import LEDGER_KGS
from digisom.kernel.db_errors import reraise_unless_unique
from digisom.kernel.results import TRANSFER_OK
from digisom.ledger.model import PAGE_LIMIT_MAX, Transfer

KEY_CHARS_MAX: Final = 64
BANK_CODE_CHARS_MAX: Final = 16
# Pages of stored messages: at most this many per call.
MESSAGE_PAGE_MAX: Final = 200
_STATUS_OF: Final = {
    PaymentStatus.QUEUED: TransactionStatus.PENDING,
    PaymentStatus.SETTLED: TransactionStatus.SETTLED,
    PaymentStatus.REJECTED: TransactionStatus.REJECTED,
}


@dataclass(frozen=True, slots=True)
class Answer:
    """The pacs.002 answering one inbound message, and what it says."""

    xml: bytes
    status: TransactionStatus
    reason_code: str | None = None
    payment_seq: int | None = None
    duplicate: bool = False
    held_seq: int | None = None  # the screening stop of a payment held for review


class Rtgs:
    """The RTGS over one `RtgsContext`. Thread-safe (settlement runs under `ctx.lock`)."""

    def __init__(self, ctx: RtgsContext) -> None:
        self.ctx = ctx
        migrate(ctx.engine)
        ensure_accounts(ctx.ledger, central_accounts())
        self.recover()

    # -- participants and liquidity ------------------------------------------------

    def register_bank(self, bank_code: str, name: str, bic: str | None = None) -> Bank:
        """Make a bank a participant: its settlement account (shared with the digital som
        when wired so) and its credit line. The same registration again returns it."""
        if not 0 < len(bank_code) <= BANK_CODE_CHARS_MAX or not name:
            raise InvalidRequest(f"a bank code has 1..{BANK_CODE_CHARS_MAX} characters and a bank a name")
        settlement, line = self.ctx.settlement_account(bank_code), credit_line_account(bank_code)
        with self.ctx.lock:
            ensure_accounts(self.ctx.ledger, [settlement, line])
        bank = Bank(bank_code, bic, name, settlement.id, line.id)
        try:
            with self.ctx.engine.begin() as conn:
                repository.insert_bank(conn, bank, self.ctx.now_iso())
        except IntegrityError as error:
            reraise_unless_unique(error)
            with self.ctx.engine.connect() as conn:
                existing = repository.get_bank(conn, bank_code)
            if existing == bank:
                return bank
            raise RtgsConflict("a participant with this bank code or BIC exists already") from None
        return bank

    def bank(self, bank_code: str) -> Bank:
        """A participant, or `UnknownBank`."""
        with self.ctx.engine.connect() as conn:
            found = repository.get_bank(conn, bank_code)
        if found is None:
            raise UnknownBank(f"no participant with bank code {bank_code!r}")
        return found

    def pledge_collateral(self, bank_code: str, amount_tyiyn: int, key: str) -> int:
        """Record collateral pledged by a bank (its value after haircut) and open that much
        intraday credit. Idempotent per `key`. Returns the bank's total pledged."""
        bank = self.bank(bank_code)
        self._move(f"pledge:{bank_code}:{key}", PLEDGES_ID, bank.credit_line_account_id, amount_tyiyn,
                   TransferCode.COLLATERAL_PLEDGE, key)
        with self.ctx.engine.begin() as conn:
            repository.insert_pledge(conn, bank_code, key, amount_tyiyn, self.ctx.now_iso())
            return repository.pledged_tyiyn(conn, bank_code)

    def fund(self, bank_code: str, amount_tyiyn: int, key: str) -> int:
        """Put reserves on a bank's settlement account (the central bank's monetary
        operation, for an RTGS running without the digital som). Idempotent per `key`.
        Returns the account's available balance."""
        bank = self.bank(bank_code)
        self._move(f"fund:{bank_code}:{key}", LIQUIDITY_SOURCE_ID, bank.settlement_account_id, amount_tyiyn,
                   TransferCode.LIQUIDITY_INJECTION, key)
        return self.liquidity(bank_code)[0]

    def liquidity(self, bank_code: str) -> tuple[int, int]:
        """(available settlement balance, undrawn intraday credit) of a bank, in tyiyn."""
        bank = self.bank(bank_code)
        with self.ctx.lock:
            found = {a.id: a for a in self.ctx.ledger.lookup_accounts(
                [bank.settlement_account_id, bank.credit_line_account_id])}
        return available(found[bank.settlement_account_id]), available(found[bank.credit_line_account_id])

    def _move(self, name: str, debit: int, credit: int, amount_tyiyn: int, code: TransferCode, key: str) -> None:
        if amount_tyiyn <= 0 or not 0 < len(key) <= KEY_CHARS_MAX:
            raise InvalidRequest(f"the amount is positive and the key has 1..{KEY_CHARS_MAX} characters")
        transfer = Transfer(id=transfer_id(name), debit_account_id=debit, credit_account_id=credit,
                            amount=amount_tyiyn, ledger=LEDGER_KGS, code=int(code))
        with self.ctx.lock:
            result = self.ctx.ledger.create_transfers([transfer])[0]
        if result not in TRANSFER_OK:
            if result.name.startswith("exists_with_different"):
                raise RtgsConflict(f"key {key!r} was used for another amount")
            raise InvalidRequest(f"the ledger refused it: {result.name}")

    # -- messages --------------------------------------------------------------------

    def submit(self, xml: bytes, sender_bank: str | None = None) -> Answer:
        """Take one inbound message and answer it with a pacs.002. `sender_bank`: the bank
        the caller acts for (its debtor agent must be that bank); None for the operator."""
        try:
            order = instruction(parse_inbound(xml, self.ctx.registry))
        except Iso20022Error as error:
            return self._refused(error, xml)
        with self.ctx.lock:
            with self.ctx.engine.connect() as conn:
                debtor, creditor = resolve(conn, order.debtor), resolve(conn, order.creditor)
                if sender_bank is not None and (debtor is None or debtor.bank_code != sender_bank):
                    raise NotYourBank("the debtor agent of this message is not your bank")
                if debtor is None or creditor is None:
                    which = "debtor" if debtor is None else "creditor"
                    return self._refused(Iso20022Error(ReasonCode.BANK_IDENTIFIER_INCORRECT,
                                                       f"the {which} agent is not a participant"), xml)
                duplicate = _duplicate(self.ctx, conn, order, debtor)
            if duplicate is not None:
                return duplicate
            stopped = self._screen(order, xml, debtor)
            if stopped is not None:
                return stopped
            return self._take(order, xml, debtor, creditor)

    def _screen(self, order: Instruction, xml: bytes, debtor: Bank) -> Answer | None:
        """The answer to a pacs.008 that screening stops (refused or held), else None."""
        day = self.ctx.schedule.business_date(self.ctx.clock())
        try:
            found = screened(self.ctx.screening, order)
        except Iso20022Error as error:
            return self._refused_and_recorded(error, order, xml, debtor, day)
        if found is None or found.decision is ScreeningDecision.CLEAR:
            return None
        stop = ScreeningStop(
            0, debtor.bank_code, order.message_id, order.end_to_end_id, order.settlement_date, order.amount_tyiyn,
            found.debtor_name, found.creditor_name, found.debtor.decision.value, found.debtor.reason,
            found.creditor.decision.value, found.creditor.reason, StopStatus.HELD, None, None, xml)
        if found.decision is ScreeningDecision.HIT:
            refusal = Iso20022Error(ReasonCode.REGULATORY_REASON, "refused for a regulatory reason")
            refused = replace(stop, status=StopStatus.REFUSED)
            return self._refused_and_recorded(refusal, order, xml, debtor, day, refused)
        return self._hold(order, xml, debtor, day, stop)

    def _hold(self, order: Instruction, xml: bytes, debtor: Bank, day: date, stop: ScreeningStop) -> Answer:
        """Keep a reviewed pacs.008 out of the queue and answer PDNG (the answer kept for the bank)."""
        answer_id = self.ctx.new_message_id("STS")
        answer = build_pacs002(StatusReport(
            message_id=answer_id, created_at=self.ctx.clock(), original_message_id=order.message_id,
            original_message_name=order.message_type.value, status=TransactionStatus.PENDING,
            original_end_to_end_id=order.end_to_end_id, original_instruction_id=order.instruction_id,
            reason_detail="held for a compliance review"), self.ctx.registry)
        try:
            with self.ctx.engine.begin() as conn:
                seq = stops.insert(conn, stop, order.message_type.value, self.ctx.now_iso())
                repository.insert_message(conn, "out", debtor.bank_code, answer_id, MessageType.PACS_002, day,
                                          answer, self.ctx.now_iso())
        except IntegrityError as error:
            reraise_unless_unique(error)
            with self.ctx.engine.connect() as conn:
                duplicate = _duplicate(self.ctx, conn, order, debtor)
            if duplicate is not None:
                return duplicate
            raise
        return Answer(answer, TransactionStatus.PENDING, held_seq=seq)

    def release_screened(self, stop_seq: int, cleared: bool, officer: str) -> Answer:
        """An officer's decision on a payment held for screening. Cleared: it is taken in as
        if just submitted (settled, queued, or refused by the RTGS's own checks, e.g. its
        settlement day is over). Confirmed: rejected (RJCT RR04), the notice kept for the
        debtor bank. `StopNotFound`, or `RtgsConflict` if it is no longer held. A retry after
        a crash between the two steps answers as a duplicate and completes the decision."""
        if not officer.strip() or len(officer) > OFFICER_CHARS:
            raise InvalidRequest(f"the officer is named in 1..{OFFICER_CHARS} characters")
        with self.ctx.lock:
            with self.ctx.engine.connect() as conn:
                stop = stops.get(conn, stop_seq)
                if stop is None:
                    raise StopNotFound(f"no screening stop {stop_seq}")
                if stop.status is not StopStatus.HELD:
                    raise RtgsConflict(f"screening stop {stop_seq} is {stop.status.value}, not held")
                order = instruction(parse_inbound(stop.xml, self.ctx.registry))  # it parsed when it came in
                debtor, creditor = resolve(conn, order.debtor), resolve(conn, order.creditor)
            if debtor is None or creditor is None:
                raise InvalidRequest(f"screening stop {stop_seq} names a bank that is no participant")
            if cleared:
                answer = self._take(order, stop.xml, debtor, creditor)
            else:
                refusal = Iso20022Error(ReasonCode.REGULATORY_REASON, "refused for a regulatory reason after review")
                answer = self._refused_and_recorded(refusal, order, stop.xml, debtor,
                                                    self.ctx.schedule.business_date(self.ctx.clock()))
            with self.ctx.engine.begin() as conn:
                stops.decide(conn, stop_seq, StopStatus.RELEASED if cleared else StopStatus.REJECTED, officer.strip(),
                             self.ctx.now_iso(), answer.payment_seq)
            return answer

    def _take(self, order: Instruction, xml: bytes, debtor: Bank, creditor: Bank) -> Answer:
        ctx = self.ctx
        now = ctx.clock()
        day = ctx.schedule.business_date(now)
        try:
            with ctx.engine.begin() as conn:
                try:
                    if ctx.calendar.is_business_day(day):
                        repository.open_day(conn, day)
                except CalendarError as error:
                    raise Iso20022Error(ReasonCode.INVALID_DATE, str(error)) from None
                state = repository.day_status(conn, day)
                check_business(ctx, order, day, now, state[0] if state else None)
                return_of = check_return(conn, order, debtor, creditor)
                record = PaymentRecord(
                    0, order.message_id, order.message_type.value, order.end_to_end_id, order.instruction_id,
                    debtor.bank_code, creditor.bank_code, order.amount_tyiyn, order.priority, day,
                    ctx.schedule.seconds_since_opening(now), PaymentStatus.QUEUED, 0,
                )
                seq = repository.insert_payment(conn, record, ctx.now_iso(), return_of)
                repository.insert_message(conn, "in", debtor.bank_code, order.message_id, order.message_type.value,
                                          day, xml, ctx.now_iso(), payment_seq=seq, status="PDNG")
        except Iso20022Error as error:
            return self._refused_and_recorded(error, order, xml, debtor, day)
        except IntegrityError as error:  # a duplicate that arrived at the same moment as its original
            reraise_unless_unique(error)
            with ctx.engine.connect() as conn:
                duplicate = _duplicate(ctx, conn, order, debtor)
            if duplicate is None:
                raise
            return duplicate
        return self._settle_arrival(seq, day)

    def _settle_arrival(self, seq: int, day: date) -> Answer:
        ctx = self.ctx
        now_s = ctx.schedule.seconds_since_opening(ctx.clock())
        with ctx.engine.connect() as conn:
            record = repository.payment(conn, seq)
            state = repository.day_status(conn, day)
        if record is None:
            raise InvalidRequest(f"payment {seq} vanished")
        last_lsm_s = state[1] if state else 0
        lsm_due = ctx.rules.lsm_interval_s is not None and now_s >= last_lsm_s + ctx.rules.lsm_interval_s

        def decide(settler: Settler) -> list[Settlement]:
            done = settler.run_multilateral(now_s) if lsm_due else []
            return done + settler.submit(engine_payment(record), now_s)

        outcome = run_step(ctx, day, now_s, decide, exclude=seq)
        if lsm_due:
            with ctx.engine.begin() as conn:
                repository.set_last_lsm(conn, day, now_s)
        if seq in outcome.settled:
            return Answer(outcome.settled[seq], TransactionStatus.SETTLED, payment_seq=seq)
        message_id, xml = status_report(ctx, record, TransactionStatus.PENDING, detail="queued for liquidity")
        with ctx.engine.begin() as conn:
            repository.insert_message(conn, "out", record.debtor_bank, message_id, MessageType.PACS_002, day, xml,
                                      ctx.now_iso(), payment_seq=seq)
        return Answer(xml, TransactionStatus.PENDING, payment_seq=seq)

    def _refused(self, error: Iso20022Error, xml: bytes, message_id: str | None = None) -> Answer:
        """The pacs.002 RJCT (with `message_id`, default a fresh one) answering `error`."""
        report = rejection_for(error, xml, message_id=message_id or self.ctx.new_message_id("RJCT"),
                               created_at=self.ctx.clock(), registry=self.ctx.registry)
        return Answer(report, TransactionStatus.REJECTED, error.reason_code.value)

    def _refused_and_recorded(self, error: Iso20022Error, order: Instruction, xml: bytes, debtor: Bank,
                              day: date, stop: ScreeningStop | None = None) -> Answer:
        """A readable order refused by the RTGS's own checks: remembered (with its screening
        `stop`, if screening refused it), so that sending it again is answered as a
        duplicate with this same status."""
        answer_id = self.ctx.new_message_id("RJCT")
        answer = self._refused(error, xml, answer_id)
        try:
            with self.ctx.engine.begin() as conn:
                repository.insert_message(conn, "in", debtor.bank_code, order.message_id, order.message_type.value,
                                          day, xml, self.ctx.now_iso(), status="RJCT",
                                          reason_code=error.reason_code.value)
                repository.insert_message(conn, "out", debtor.bank_code, answer_id, MessageType.PACS_002, day,
                                          answer.xml, self.ctx.now_iso())
                if stop is not None:
                    stops.insert(conn, stop, order.message_type.value, self.ctx.now_iso())
        except IntegrityError as integrity_error:
            reraise_unless_unique(integrity_error)
            with self.ctx.engine.connect() as conn:
                duplicate = _duplicate(self.ctx, conn, order, debtor)
            if duplicate is not None:
                return duplicate
            raise
        return answer

    # -- operations ------------------------------------------------------------------

    def run_lsm(self) -> int:
        """Run the multilateral gridlock resolution now; returns how many payments settled."""
        ctx = self.ctx
        with ctx.lock:
            now = ctx.clock()
            day, now_s = ctx.schedule.business_date(now), ctx.schedule.seconds_since_opening(now)
            outcome = run_step(ctx, day, now_s, lambda settler: multilateral(ctx, settler, now_s))
            with ctx.engine.begin() as conn:
                repository.set_last_lsm(conn, day, now_s)
        return len(outcome.settled)

    def end_of_day(self, day: date | None = None) -> DayReport:
        """Close `day` (default: today in Bishkek): see `digisom.interbank.eod`."""
        with self.ctx.lock:
            return eod.end_of_day(self.ctx, day or self.ctx.schedule.business_date(self.ctx.clock()))

    def recover(self) -> int:
        """Mark settled the queued payments whose chain the ledger committed but whose
        status was never recorded (a crash in between); returns how many. Runs at start-up
        while other processes may be settling: under the RTGS lock they settle under, and
        each row is marked only if still queued (a guarded update)."""
        recovered = 0
        with self.ctx.lock:
            with self.ctx.engine.connect() as conn:
                queued = [p for day in repository.open_days(conn) for p in repository.queued(conn, day)]
            ids = [payment_legs(p.seq, p.attempt).debit_id for p in queued]
            found = {t.id for start in range(0, len(ids), PAGE_LIMIT_MAX)
                     for t in self.ctx.ledger.lookup_transfers(ids[start : start + PAGE_LIMIT_MAX])}
            committed = [p for p in queued if payment_legs(p.seq, p.attempt).debit_id in found]
            with self.ctx.engine.begin() as conn:
                for p in committed:
                    legs = payment_legs(p.seq, p.attempt)
                    recovered += repository.mark_settled(conn, p.seq, "recovered", p.arrival_s, legs.debit_id,
                                                         legs.credit_id)
        return recovered

    # -- reads -----------------------------------------------------------------------

    def statement(self, bank_code: str, day: date) -> StoredMessage | None:
        """The camt.053 of `bank_code` for `day`, once end of day ran."""
        with self.ctx.engine.connect() as conn:
            for result in repository.day_banks(conn, day):
                if result.bank_code == bank_code:
                    return repository.message(conn, bank_code, result.statement_message_id)
        return None

    def statements(self, day: date) -> list[StoredMessage]:
        """Every bank's camt.053 for `day` (empty before end of day)."""
        with self.ctx.engine.connect() as conn:
            found = [repository.message(conn, r.bank_code, r.statement_message_id)
                     for r in repository.day_banks(conn, day)]
        return [m for m in found if m is not None]

    def messages(self, bank_code: str | None, after_seq: int, limit: int, message_type: str | None = None
                 ) -> list[StoredMessage]:
        """A page of the messages the RTGS sent to `bank_code` (None: to every bank)."""
        if not 0 < limit <= MESSAGE_PAGE_MAX:
            raise InvalidRequest(f"limit is 1..{MESSAGE_PAGE_MAX}")
        with self.ctx.engine.connect() as conn:
            return repository.messages_for(conn, bank_code, after_seq, limit, message_type)

    def message(self, bank_code: str, message_id: str) -> StoredMessage | None:
        """One message the RTGS sent to `bank_code`."""
        with self.ctx.engine.connect() as conn:
            return repository.message(conn, bank_code, message_id)

    def screening_stops(self, status: StopStatus | None = None, after_seq: int = 0,
                        limit: int = stops.STOP_PAGE_MAX) -> list[ScreeningStop]:
        """The pacs.008s screening stopped (of `status`, if given), oldest first."""
        if not 0 < limit <= stops.STOP_PAGE_MAX:
            raise InvalidRequest(f"limit is 1..{stops.STOP_PAGE_MAX}")
        with self.ctx.engine.connect() as conn:
            return stops.page(conn, status, after_seq, limit)

    def queued(self, after_seq: int, limit: int) -> list[PaymentRecord]:
        """A page of the payments waiting in the queue (for liquidity or behind an urgent
        one), in arrival order: what the central bank watches and LSM runs work on."""
        if not 0 < limit <= MESSAGE_PAGE_MAX:
            raise InvalidRequest(f"limit is 1..{MESSAGE_PAGE_MAX}")
        with self.ctx.engine.connect() as conn:
            return repository.queued_page(conn, after_seq, limit)

    def payments(self, day: date) -> list[PaymentRecord]:
        """Every payment of `day`, by seq."""
        with self.ctx.engine.connect() as conn:
            return repository.payments_of(conn, day)


def _duplicate(ctx: RtgsContext, conn: Connection, order: Instruction, debtor: Bank) -> Answer | None:
    """The answer to a message already received (same message id, or same end-to-end id the
    same day, from the same bank): the original's status now, nothing settled again."""
    answered = repository.inbound_answer(conn, debtor.bank_code, order.message_id)
    original: PaymentRecord | None = None
    held: ScreeningStop | None = None
    if answered is not None:
        payment_seq, status_code, reason = answered
        original = repository.payment(conn, payment_seq) if payment_seq is not None else None
    else:
        original = repository.payment_by_e2e(conn, debtor.bank_code, order.end_to_end_id, order.settlement_date)
        if original is None:
            held = stops.held_for(conn, debtor.bank_code, order.message_id, order.end_to_end_id, order.settlement_date)
        if original is None and held is None:
            return None
        status_code, reason = TransactionStatus.PENDING.value, None  # a held one: pending until decided
    if original is not None:
        status, reason = _STATUS_OF[original.status], original.reason_code
        about = original.message_id
    else:
        status, about = TransactionStatus(status_code), held.message_id if held is not None else order.message_id
    report = StatusReport(
        message_id=ctx.new_message_id("DUP"), created_at=ctx.clock(), original_message_id=order.message_id,
        original_message_name=order.message_type.value, status=status, original_end_to_end_id=order.end_to_end_id,
        original_instruction_id=order.instruction_id, reason_code=reason,
        reason_detail=f"duplicate of {about}: its status; not settled again",
    )
    return Answer(build_pacs002(report, ctx.registry), status, reason, original.seq if original else None,
                  duplicate=True)
