"""Settlement sets as linked ledger chains (pure: no I/O).

One chain per set of payments the engine settled together (one payment alone, a
bilateral offset, a multilateral gridlock resolution), so the set settles all or
nothing. Order inside a chain: every receiver is credited from the LSM clearing account,
then intraday credit is drawn where a bank's position needs it, then every sender is
debited into clearing. The ledger checks each debit against the account's
`debits_must_not_exceed_credits` flag, so it refuses the chain if any bank's position
after the whole set would be negative: cover is enforced by the ledger, not trusted
from the engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from digisom.interbank.accounts import CLEARING_ID, TransferCode, transfer_id
from digisom.interbank.queue import Payment
from digisom.kernel.chart import LEDGER_KGS
from digisom.ledger.model import Transfer, TransferFlags


@dataclass(frozen=True, slots=True)
class PaymentLegs:
    """The ledger ids of one payment's two legs in one attempt."""

    credit_id: int
    debit_id: int


def payment_legs(payment_id: int, attempt: int) -> PaymentLegs:
    """The ids of a payment's legs: new ids per attempt, because the ledger remembers an id
    that failed for lack of cover and would refuse it for ever."""
    return PaymentLegs(
        credit_id=transfer_id("payment", str(payment_id), str(attempt), "credit"),
        debit_id=transfer_id("payment", str(payment_id), str(attempt), "debit"),
    )


@dataclass(frozen=True, slots=True)
class Chain:
    """The transfers of one settlement set, and the credit each bank draws in it."""

    transfers: tuple[Transfer, ...]
    draws: Mapping[str, int]


def build_chain(
    payments: Sequence[Payment],
    attempts: Mapping[int, int],
    settlement_accounts: Mapping[str, int],
    credit_lines: Mapping[str, int],
    cash: dict[str, int],
) -> Chain:
    """The chain settling `payments` together. `cash` is each bank's available settlement
    balance before the set; it is updated to after the set (draws included)."""
    net: dict[str, int] = {}
    for p in payments:
        net[p.sender] = net.get(p.sender, 0) - p.amount_minor
        net[p.receiver] = net.get(p.receiver, 0) + p.amount_minor
    first = payments[0]
    set_name = f"{first.payment_id}.{attempts[first.payment_id]}"
    events: list[Transfer] = []
    for p in payments:
        legs = payment_legs(p.payment_id, attempts[p.payment_id])
        events.append(_transfer(legs.credit_id, CLEARING_ID, settlement_accounts[p.receiver], p.amount_minor,
                                TransferCode.PAYMENT_CREDIT, p.payment_id))
    draws: dict[str, int] = {}
    for bank in sorted(net):
        shortfall = -(cash.get(bank, 0) + net[bank])
        if shortfall > 0:
            draws[bank] = shortfall
            events.append(_transfer(transfer_id("draw", set_name, bank), credit_lines[bank],
                                    settlement_accounts[bank], shortfall, TransferCode.CREDIT_DRAW, 0))
        cash[bank] = cash.get(bank, 0) + net[bank] + draws.get(bank, 0)
    for p in payments:
        legs = payment_legs(p.payment_id, attempts[p.payment_id])
        events.append(_transfer(legs.debit_id, settlement_accounts[p.sender], CLEARING_ID, p.amount_minor,
                                TransferCode.PAYMENT_DEBIT, p.payment_id))
    linked = [e._replace(flags=int(TransferFlags.LINKED)) for e in events[:-1]]
    return Chain((*linked, events[-1]), draws)


def _transfer(tid: int, debit: int, credit: int, amount: int, code: TransferCode, payment_id: int) -> Transfer:
    return Transfer(id=tid, debit_account_id=debit, credit_account_id=credit, amount=amount, ledger=LEDGER_KGS,
                    code=int(code), user_data_64=payment_id)
