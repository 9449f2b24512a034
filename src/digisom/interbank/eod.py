"""End of day: the last gridlock resolution, then what is still queued is rejected and
reported (pacs.002 RJCT, reason AM04), intraday credit is repaid from each settlement
account (what cannot be repaid is flagged for the central bank's overnight procedure),
and every bank gets its camt.053. Running it again for a closed day returns the same
report and changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Final

from digisom.interbank import repository
from digisom.interbank.accounts import TransferCode, transfer_id
from digisom.interbank.business_days import CalendarError
from digisom.interbank.context import RtgsContext
from digisom.interbank.errors import DayNotOver
from digisom.interbank.iso20022 import MessageType, ReasonCode, TransactionStatus
from digisom.interbank.notices import status_report
from digisom.interbank.records import Bank, BankDayResult, DayReport
from digisom.interbank.settlement import multilateral, read_liquidity, run_step
from digisom.interbank.statements import build_statement
from digisom.kernel.chart import LEDGER_KGS
from digisom.kernel.results import TRANSFER_OK
from digisom.ledger.model import Transfer

NOT_SETTLED_DETAIL: Final = "not settled by the end of the business day for lack of liquidity"


def end_of_day(ctx: RtgsContext, day: date) -> DayReport:
    """Close `day`. Call with `ctx.lock` held."""
    now = ctx.clock()
    try:
        business_day = ctx.calendar.is_business_day(day)
    except CalendarError as error:
        raise DayNotOver(str(error)) from None
    if not business_day or not ctx.schedule.may_close(day, now):
        raise DayNotOver(f"{day} closes after the interbank cut-off of a business day")
    with ctx.engine.begin() as conn:
        state = repository.day_status(conn, day)
        if state is not None and state[0] == "closed":
            return DayReport(day, 0, 0, tuple(repository.day_banks(conn, day)))
        repository.open_day(conn, day)
    close_s = ctx.schedule.seconds_since_opening(now)
    final = run_step(ctx, day, close_s, lambda settler: multilateral(ctx, settler, close_s))
    rejected = _reject_queued(ctx, day)
    with ctx.engine.connect() as conn:
        banks = repository.all_banks(conn)
    results = tuple(_close_bank(ctx, bank, day, rejected.get(bank.bank_code, 0)) for bank in banks)
    with ctx.engine.begin() as conn:
        repository.close_day(conn, day, ctx.now_iso())
    return DayReport(day, len(final.settled), sum(rejected.values()), results)


def _reject_queued(ctx: RtgsContext, day: date) -> dict[str, int]:
    """Reject every payment still queued, telling each debtor; count per debtor bank."""
    counts: dict[str, int] = {}
    with ctx.engine.begin() as conn:
        for payment in repository.queued(conn, day):
            repository.mark_rejected(conn, payment.seq, ReasonCode.INSUFFICIENT_FUNDS.value)
            message_id, xml = status_report(ctx, payment, TransactionStatus.REJECTED,
                                            ReasonCode.INSUFFICIENT_FUNDS.value, NOT_SETTLED_DETAIL)
            repository.insert_message(conn, "out", payment.debtor_bank, message_id, MessageType.PACS_002, day, xml,
                                      ctx.now_iso(), payment_seq=payment.seq)
            counts[payment.debtor_bank] = counts.get(payment.debtor_bank, 0) + 1
    return counts


def _close_bank(ctx: RtgsContext, bank: Bank, day: date, rejected: int) -> BankDayResult:
    """Repay the bank's intraday credit as far as its balance allows, then its statement."""
    with ctx.engine.connect() as conn:
        pledged = repository.pledged_tyiyn(conn, bank.bank_code)
        opening, after_ts = repository.last_statement(conn, bank.bank_code)
        references = repository.settled_transfer_refs(conn, bank.bank_code)
    liquidity = read_liquidity(ctx, {bank.bank_code: bank})
    drawn = pledged - liquidity.credit[bank.bank_code]
    repaid = min(drawn, liquidity.cash[bank.bank_code])
    if repaid > 0:
        repay = Transfer(id=transfer_id("repay", bank.bank_code, day.isoformat()),
                         debit_account_id=bank.settlement_account_id, credit_account_id=bank.credit_line_account_id,
                         amount=repaid, ledger=LEDGER_KGS, code=int(TransferCode.CREDIT_REPAY))
        if ctx.ledger.create_transfers([repay])[0] not in TRANSFER_OK:
            repaid = 0  # the ledger refused: the whole drawn amount stays flagged
    statement = build_statement(ctx, bank, day, opening, after_ts, references)
    result = BankDayResult(bank.bank_code, drawn, repaid, drawn - repaid, rejected, opening, statement.closing_tyiyn,
                           statement.message_id)
    with ctx.engine.begin() as conn:
        repository.insert_message(conn, "out", bank.bank_code, statement.message_id, MessageType.CAMT_053, day,
                                  statement.xml, ctx.now_iso())
        repository.insert_day_bank(conn, day, result, statement.last_transfer_ts)
    return result

