"""camt.053 end-of-day statements, built from the ledger's own transfers on a bank's
settlement account, so they show every movement (digital-som reserve operations too),
not only what the RTGS settled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from digisom.interbank.context import RtgsContext
from digisom.interbank.iso20022 import AccountStatement, CreditDebit, StatementEntry, build_camt053
from digisom.interbank.notices import account_identifier, bank_agent, entry
from digisom.interbank.records import Bank
from digisom.ledger.model import PAGE_LIMIT_MAX, AccountFilter, Transfer, TransferFlags
from digisom.money import KGS, Money

# Holds and their voids move no posted balance: a statement of booked entries leaves them out.
_NOT_BOOKED = int(TransferFlags.PENDING | TransferFlags.VOID_PENDING_TRANSFER)


@dataclass(frozen=True, slots=True)
class BuiltStatement:
    """A statement's message and the figures end of day records."""

    message_id: str
    xml: bytes
    closing_tyiyn: int
    last_transfer_ts: int


def booked_since(ctx: RtgsContext, account_id: int, after_ts: int) -> list[Transfer]:
    """Every booked transfer on `account_id` with a ledger timestamp after `after_ts`."""
    found: list[Transfer] = []
    while True:
        page = ctx.ledger.get_account_transfers(
            AccountFilter(account_id=account_id, timestamp_min=after_ts + 1, limit=PAGE_LIMIT_MAX))
        found.extend(t for t in page if not t.flags & _NOT_BOOKED)
        if len(page) < PAGE_LIMIT_MAX:
            return found
        after_ts = page[-1].timestamp


def build_statement(
    ctx: RtgsContext, bank: Bank, day: date, opening_tyiyn: int, after_ts: int, references: dict[int, str],
) -> BuiltStatement:
    """The camt.053 of `bank` for `day`: opening balance (the last statement's closing), the
    entries booked since that statement, and the closing balance they add up to."""
    account_id = bank.settlement_account_id
    transfers = booked_since(ctx, account_id, after_ts)
    entries: list[StatementEntry] = []
    closing = opening_tyiyn
    for t in transfers:
        side = CreditDebit.CREDIT if t.credit_account_id == account_id else CreditDebit.DEBIT
        closing += t.amount if side is CreditDebit.CREDIT else -t.amount
        entries.append(entry(t.amount, side, day, references.get(t.id), f"{t.id:032x}"))
    message_id = ctx.new_message_id("STM")
    statement = AccountStatement(
        message_id=message_id, created_at=ctx.clock(), statement_id=f"STMT-{bank.bank_code}-{day:%Y%m%d}",
        account=account_identifier(account_id), bank=bank_agent(bank), statement_date=day,
        opening_balance=Money(opening_tyiyn, KGS), closing_balance=Money(closing, KGS), entries=tuple(entries),
    )
    last_ts = transfers[-1].timestamp if transfers else after_ts
    return BuiltStatement(message_id, build_camt053(statement, ctx.registry), closing, last_ts)
