"""Two-tier issuance: a bank converts central-bank reserves into digital som and back.

Issuing moves the bank's reserves to the central bank's reserve side and, in the same
linked chain, debits the central bank's issuance liability into the bank's float.
Redeeming is the mirror image. Circulation (floats, wallets and benefits) therefore always
equals the issuance liability; `summary()` shows both and tests check it after every step.
"""

from __future__ import annotations

import contextlib
import csv
import io
from typing import Final

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from digisom.cbdc import accounts, chains, participants, repository
from digisom.cbdc.access import require_bank_code
from digisom.cbdc.accounts import AccountCode, TransferCode
from digisom.cbdc.context import Context
from digisom.cbdc.errors import CbdcError, InvalidRequest, replay
from digisom.cbdc.ids import operation_id, public_id
from digisom.cbdc.ledger_port import Leg
from digisom.cbdc.model import BankIssuance, DailyReport, IssuanceEvent, IssuanceSummary, PublicAggregate
from digisom.kernel import circulation
from digisom.kernel.access import Actor
from digisom.kernel.db_errors import reraise_unless_unique

KINDS: Final = ("reserve_credit", "issue", "redeem")
# Pending events finished per round at start-up.
RECOVERY_BATCH_MAX: Final = 1000
CSV_COLUMNS: Final = ("day", "bank_code", "issued_tyiyn", "redeemed_tyiyn", "outstanding_tyiyn", "currency")


def _legs(kind: str, bank_code: str, amount_tyiyn: int) -> list[Leg]:
    reserve = accounts.bank_account_id(bank_code, AccountCode.BANK_RESERVE)
    floating = accounts.bank_account_id(bank_code, AccountCode.BANK_FLOAT)
    source = accounts.central_account_id(AccountCode.RESERVE_SOURCE)
    liability = accounts.central_account_id(AccountCode.ISSUANCE)
    if kind == "reserve_credit":
        return [Leg("reserve-credit", source, reserve, amount_tyiyn, TransferCode.RESERVE_CREDIT, "reserve source")]
    if kind == "issue":
        return [
            Leg("reserves-out", reserve, source, amount_tyiyn, TransferCode.ISSUE, "bank reserve account"),
            Leg("digital-som-in", liability, floating, amount_tyiyn, TransferCode.ISSUE, "issuance liability"),
        ]
    return [
        Leg("digital-som-out", floating, liability, amount_tyiyn, TransferCode.REDEEM, "bank float"),
        Leg("reserves-in", source, reserve, amount_tyiyn, TransferCode.REDEEM, "reserve source"),
    ]


def convert(ctx: Context, actor: Actor, kind: str, bank_code: str, amount_tyiyn: int, key: str) -> IssuanceEvent:
    """Credit reserves (central bank only), issue, or redeem: one linked chain, recorded
    as an event. A retry with the same key returns the same event, never a second one."""
    if kind not in KINDS:
        raise InvalidRequest(f"kind must be one of {KINDS}")
    require_bank_code(actor, bank_code)
    participants.require_bank(ctx, bank_code)
    operation = operation_id(actor, key)
    event_id = public_id("i", operation)
    # Held from recording to finishing: start-up recovery in another process takes it too.
    with ctx.issuance_locks.hold(event_id):
        now = ctx.clock()
        event = IssuanceEvent(event_id, bank_code, kind, amount_tyiyn, "pending", ctx.now_iso())
        try:
            with ctx.engine.begin() as conn:
                repository.insert_event(conn, event, operation, now.date().isoformat())
        except IntegrityError as error:
            reraise_unless_unique(error)
            with ctx.engine.connect() as conn:
                existing = repository.get_event(conn, event_id)
                failure = repository.event_failure(conn, event_id) if existing else None
            if existing is None or (existing.kind, existing.bank_code, existing.amount_tyiyn) != (
                kind, bank_code, amount_tyiyn
            ):
                raise InvalidRequest("this idempotency key was used for another operation") from None
            if failure:
                raise replay(failure) from None
            if existing.status == "completed":
                return existing
            event = existing  # pending: a crash between ledger and row; resubmit the same chain

        def finish(conn: Connection, failure: str | None) -> None:
            repository.finish_event(conn, event_id, failure)

        chains.run(ctx, operation, _legs(kind, bank_code, amount_tyiyn), finish)
        return IssuanceEvent(event.id, bank_code, kind, amount_tyiyn, "completed", event.created_at)


def recover_pending(ctx: Context) -> int:
    """Finish conversions a crash left pending (their chains are derived again from the
    event, with the same transfer ids). Runs at start-up, while other processes may be
    serving: each event is taken under its lock (held by `convert` from recording to
    finishing) and read again there, so one another process is finishing is left alone.
    Only events that existed when recovery began are looked at. Returns how many were
    finished here."""
    finished = 0
    with ctx.engine.connect() as conn:
        upto_seq = repository.last_event_seq(conn)
    after_seq = 0
    while True:
        with ctx.engine.connect() as conn:
            events = repository.pending_events(conn, after_seq, upto_seq, RECOVERY_BATCH_MAX)
        if not events:
            return finished
        for _, event in events:
            finished += _recover_one(ctx, event)
        after_seq = events[-1][0]


def _recover_one(ctx: Context, event: IssuanceEvent) -> int:
    """Finish one pending event under its lock; 1 if this call finished it."""
    with ctx.issuance_locks.hold(event.id):
        with ctx.engine.connect() as conn:
            current = repository.get_event(conn, event.id)
            operation = repository.event_operation(conn, event.id)
        if current is None or current.status != "pending":
            return 0  # finished meanwhile by the process that recorded it

        def finish(conn: Connection, failure: str | None) -> None:
            repository.finish_event(conn, event.id, failure)

        with contextlib.suppress(CbdcError):  # a refusal is recorded as the event's failure
            chains.run(ctx, operation, _legs(event.kind, event.bank_code, event.amount_tyiyn), finish)
    return 1


def summary(ctx: Context) -> IssuanceSummary:
    """Circulation (every holding code of the money chart) against the issuance liability,
    right now, by the one auditor; per bank what was issued and redeemed."""
    with ctx.engine.connect() as conn:
        banks = repository.bank_codes(conn)
        totals = repository.issuance_totals(conn, None, "9999-12-31")
    found = circulation.audit(ctx.money, ctx.ledger.code_totals(ctx.money.ledger))
    return IssuanceSummary(found, [_bank_line(b, totals) for b in banks])


def _bank_line(bank_code: str, totals: dict[tuple[str, str], int], outstanding: dict[tuple[str, str], int] | None = None
               ) -> BankIssuance:
    issued = totals.get((bank_code, "issue"), 0)
    redeemed = totals.get((bank_code, "redeem"), 0)
    upto = outstanding if outstanding is not None else totals
    outstanding_tyiyn = upto.get((bank_code, "issue"), 0) - upto.get((bank_code, "redeem"), 0)
    return BankIssuance(bank_code, issued, redeemed, outstanding_tyiyn)


def daily_report(ctx: Context, day: str) -> DailyReport:
    """Per bank: issued and redeemed on `day` (YYYY-MM-DD, UTC), outstanding at its end."""
    with ctx.engine.connect() as conn:
        banks = repository.bank_codes(conn)
        on_day = repository.issuance_totals(conn, day, day)
        until = repository.issuance_totals(conn, None, day)
    lines = [_bank_line(b, on_day, until) for b in banks]
    return DailyReport(
        day,
        lines,
        sum(line.issued_tyiyn for line in lines),
        sum(line.redeemed_tyiyn for line in lines),
        sum(line.outstanding_tyiyn for line in lines),
    )


def report_csv(report: DailyReport) -> str:
    """The daily report as CSV: one line per bank, amounts in integer tyiyn."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in report.banks:
        writer.writerow((report.day, line.bank_code, line.issued_tyiyn, line.redeemed_tyiyn, line.outstanding_tyiyn,
                         "KGS"))
    writer.writerow((report.day, "TOTAL", report.issued_tyiyn, report.redeemed_tyiyn, report.outstanding_tyiyn, "KGS"))
    return out.getvalue()


def outstanding_by_month(ctx: Context, months_max: int) -> list[tuple[str, int]]:
    """The issuance liability at the end of each of the newest `months_max` months with
    issuance or redemption (YYYY-MM, tyiyn), oldest first: walked back from today's total."""
    with ctx.engine.connect() as conn:
        months = repository.issuance_by_month(conn, months_max)
        totals = repository.issuance_totals(conn, None, "9999-12-31")
    outstanding = sum(v for (_, kind), v in totals.items() if kind == "issue") - sum(
        v for (_, kind), v in totals.items() if kind == "redeem")
    series: list[tuple[str, int]] = []
    for month, issued, redeemed in reversed(months):
        series.append((month, outstanding))
        outstanding -= issued - redeemed
    return series[::-1]


def public_aggregate(ctx: Context) -> PublicAggregate:
    """The published totals: circulation, open wallets, banks. Set-based reads only (the
    auditor's per-code totals and two counts): the cost does not grow with the wallets'."""
    found = circulation.audit(ctx.money, ctx.ledger.code_totals(ctx.money.ledger))
    with ctx.engine.connect() as conn:
        wallets_open = repository.count_open_wallets(conn)
        banks = len(repository.bank_codes(conn))
    return PublicAggregate(found.circulation_tyiyn, wallets_open, banks, ctx.now_iso())
