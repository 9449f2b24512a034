"""One settlement step: reload the queue and the balances, let the engine decide, apply
its decision to the ledger chain by chain, and record what the ledger committed.

The engine (`lsm.Settler`) decides on each bank's liquidity: its available settlement
balance plus its undrawn intraday credit, both read from the ledger. The ledger then
enforces cover on every chain; a chain it refuses changes nothing, and its payments stay
queued (under new transfer ids, since the ledger remembers ids that failed for lack of
funds). What the database records afterwards is what the ledger committed, never what
the engine hoped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby

from sqlalchemy import Connection

from digisom.interbank import repository
from digisom.interbank.accounts import available
from digisom.interbank.chains import Chain, build_chain, payment_legs
from digisom.interbank.context import RtgsContext
from digisom.interbank.iso20022 import CreditDebit, MessageType, StatementEntry, TransactionStatus
from digisom.interbank.lsm import Settlement, Settler
from digisom.interbank.notices import entry, notification, status_report
from digisom.interbank.queue import Payment
from digisom.interbank.records import Bank, PaymentRecord
from digisom.kernel.results import TRANSFER_OK
from digisom.ledger.model import BATCH_EVENTS_MAX

Decision = Callable[[Settler], list[Settlement]]


@dataclass(frozen=True, slots=True)
class Liquidity:
    """Per bank: the available settlement balance and the undrawn intraday credit."""

    cash: dict[str, int]
    credit: dict[str, int]

    def total(self) -> dict[str, int]:
        """What the engine may use per bank."""
        return {bank: self.cash[bank] + self.credit[bank] for bank in self.cash}


@dataclass(slots=True)
class StepOutcome:
    """What one step settled: payment seq -> the pacs.002 ACSC sent for it; and the
    seqs whose chain the ledger refused."""

    settled: dict[int, bytes] = field(default_factory=dict)
    refused: list[int] = field(default_factory=list)


def read_liquidity(ctx: RtgsContext, banks: dict[str, Bank]) -> Liquidity:
    """Each bank's liquidity, as the ledger has it now."""
    ids = [b.settlement_account_id for b in banks.values()] + [b.credit_line_account_id for b in banks.values()]
    accounts = {a.id: a for a in ctx.ledger.lookup_accounts(ids)}
    cash = {code: available(accounts[b.settlement_account_id]) for code, b in banks.items()}
    credit = {code: available(accounts[b.credit_line_account_id]) for code, b in banks.items()}
    return Liquidity(cash, credit)


def engine_payment(record: PaymentRecord) -> Payment:
    """A stored payment as the engine sees it."""
    return Payment(record.seq, record.debtor_bank, record.creditor_bank, record.amount_tyiyn, record.priority,
                   record.arrival_s)


def multilateral(ctx: RtgsContext, settler: Settler, now_s: int) -> list[Settlement]:
    """The gridlock resolution, when the rules have one (gross rules: none)."""
    return settler.run_multilateral(now_s) if ctx.rules.lsm_interval_s is not None else []


def run_step(ctx: RtgsContext, day: date, now_s: int, decide: Decision, exclude: int | None = None) -> StepOutcome:
    """Load the day's queue (without payment `exclude`, which `decide` submits itself),
    decide with the engine, settle on the ledger, record. Call with `ctx.lock` held."""
    with ctx.engine.connect() as conn:
        queue = [p for p in repository.queued(conn, day) if p.seq != exclude]
        banks = {b.bank_code: b for b in repository.all_banks(conn)}
        records = {p.seq: p for p in queue}
        if exclude is not None:
            arriving = repository.payment(conn, exclude)
            if arriving is not None:
                records[arriving.seq] = arriving
    liquidity = read_liquidity(ctx, banks)
    settler = Settler(liquidity.total(), ctx.rules, queued=[engine_payment(p) for p in queue])
    settlements = decide(settler)
    groups = [list(items) for _, items in groupby(settlements, key=lambda s: s.group)]
    cash = dict(liquidity.cash)
    attempts = {seq: r.attempt for seq, r in records.items()}
    settlement_ids = {code: b.settlement_account_id for code, b in banks.items()}
    credit_ids = {code: b.credit_line_account_id for code, b in banks.items()}
    chains = [
        build_chain([s.payment for s in group], attempts, settlement_ids, credit_ids, cash) for group in groups
    ]
    committed = _commit(ctx, chains)
    outcome = StepOutcome()
    with ctx.engine.begin() as conn:
        for group, chain, ok in zip(groups, chains, committed, strict=True):
            if ok:
                _record_settled(ctx, conn, day, group, chain, records, banks, outcome)
            else:
                seqs = [s.payment.payment_id for s in group]
                repository.retry_later(conn, seqs)
                outcome.refused.extend(seqs)
    return outcome


def forwarded_key(record: PaymentRecord) -> str:
    """How the copy of an order forwarded to its creditor is filed (message ids are unique
    per sender only)."""
    return f"{record.message_id}@{record.debtor_bank}"


def _commit(ctx: RtgsContext, chains: list[Chain]) -> list[bool]:
    """Send the chains in as few ledger batches as fit; whether each chain committed."""
    committed: list[bool] = []
    batch: list[Chain] = []

    def flush() -> None:
        if batch:
            results = ctx.ledger.create_transfers([t for chain in batch for t in chain.transfers])
            offset = 0
            for chain in batch:
                count = len(chain.transfers)
                committed.append(all(r in TRANSFER_OK for r in results[offset : offset + count]))
                offset += count
            batch.clear()

    size = 0
    for chain in chains:
        if len(chain.transfers) > BATCH_EVENTS_MAX:
            flush()
            size = 0
            committed.append(False)  # a set too large for one ledger batch waits (documented limit)
            continue
        if size + len(chain.transfers) > BATCH_EVENTS_MAX:
            flush()
            size = 0
        batch.append(chain)
        size += len(chain.transfers)
    flush()
    return committed


def _record_settled(
    ctx: RtgsContext, conn: Connection, day: date, group: list[Settlement], chain: Chain,
    records: dict[int, PaymentRecord], banks: dict[str, Bank], outcome: StepOutcome,
) -> None:
    """Mark a committed set settled; tell the debtors (pacs.002 ACSC), forward the orders to
    the creditors, and notify every bank touched (camt.054)."""
    now = ctx.now_iso()
    entries: dict[str, list[StatementEntry]] = {}
    for settlement in group:
        record = records[settlement.payment.payment_id]
        legs = payment_legs(record.seq, record.attempt)
        if not repository.mark_settled(conn, record.seq, settlement.method.value, settlement.settled_s,
                                       legs.debit_id, legs.credit_id):
            continue  # recorded settled already: no second status report or notice
        message_id, xml = status_report(ctx, record, TransactionStatus.SETTLED)
        repository.insert_message(conn, "out", record.debtor_bank, message_id, MessageType.PACS_002, day, xml, now,
                                  payment_seq=record.seq)
        original = repository.message(conn, record.debtor_bank, record.message_id, direction="in")
        if original is not None:
            repository.insert_message(conn, "out", record.creditor_bank, forwarded_key(record), record.message_type,
                                      day, original.xml, now, payment_seq=record.seq)
        outcome.settled[record.seq] = xml
        entries.setdefault(record.debtor_bank, []).append(
            entry(record.amount_tyiyn, CreditDebit.DEBIT, day, record.end_to_end_id, f"{legs.debit_id:032x}"))
        entries.setdefault(record.creditor_bank, []).append(
            entry(record.amount_tyiyn, CreditDebit.CREDIT, day, record.end_to_end_id, f"{legs.credit_id:032x}"))
    for bank_code, drawn in chain.draws.items():
        draw_id = next(t.id for t in chain.transfers if t.credit_account_id == banks[bank_code].settlement_account_id
                       and t.debit_account_id == banks[bank_code].credit_line_account_id)
        entries.setdefault(bank_code, []).append(entry(drawn, CreditDebit.CREDIT, day, None, f"{draw_id:032x}"))
    for bank_code, bank_entries in sorted(entries.items()):
        message_id, xml = notification(ctx, banks[bank_code], bank_entries)
        repository.insert_message(conn, "out", bank_code, message_id, MessageType.CAMT_054, day, xml, now)
