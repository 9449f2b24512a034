"""A payment to a wallet obeys the digital som's rule for every credit (issue 14): the
wiring's `SourceWallets.held_usable` says, per batch, how each payee is credited or why it
may not be; here a fake that follows `digisom.cbdc.credits` on this test's ledger accounts.

- a recipient frozen after the upload is rejected (`recipient_frozen`) and the money stays
  with the source;
- the excess over a holding limit is posted as the waterfall, linked with the payment;
- a run killed after such a batch reached the ledger resumes without paying twice, even
  though the wallet's room (and so the split) changed meanwhile.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Engine

from digisom.disbursement.model import PaymentStatus, RunStatus, TransferCode, leg_transfer_id, transfer_id
from digisom.disbursement.ports import Channel, CreditLeg, CreditRefusal, Destination, HeldBatch, Payee
from digisom.disbursement.service import DisbursementService
from digisom.ledger.audit import verify
from digisom.ledger.model import Account, AccountFlags, Transfer
from digisom.ledger.results import CreateAccountResult, CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.ledger.store import LedgerStore
from tests.disbursement.directory import TREASURY_WALLET, FakeDirectory, FakeSources
from tests.disbursement.test_execute import KilledAfter

LEDGER = 417
CENTRAL_BANK, TREASURY, BANK_FLOAT, DEPOSIT_FUNDING = 1, 2, 3, 4
WALLET = {n: 100 + n for n in range(1, 4)}
DEPOSIT = {n: 200 + n for n in range(1, 4)}
LIMIT_TYIYN = 1_000_000
AMOUNT_TYIYN = 600_000
BUDGET_TYIYN = 10_000_000


def pin(n: int) -> str:
    return f"{20_000_000_000_000 + n:014d}"


@dataclass
class RuledSources(FakeSources):
    """Payees' wallets with a holding limit (room read from the ledger) and a frozen set."""

    ledger: Ledger | None = None
    frozen: set[str] = field(default_factory=set)

    @contextmanager
    def held_usable(self, wallet_id: str, payees: Sequence[Payee] = (), benefit_scheme: str = ""
                    ) -> Iterator[HeldBatch]:
        assert self.ledger is not None
        balances = {a.id: a.credits_posted - a.debits_posted
                    for a in self.ledger.lookup_accounts([p.account_id for p in payees])}
        credits: list[tuple[CreditLeg, ...] | CreditRefusal] = []
        for p in payees:
            if p.pin in self.frozen:
                credits.append(CreditRefusal.FROZEN)
                continue
            n = next(k for k, account in WALLET.items() if account == p.account_id)
            to_wallet = min(p.amount_tyiyn, max(LIMIT_TYIYN - balances[p.account_id], 0))
            excess = p.amount_tyiyn - to_wallet
            legs = [CreditLeg(TREASURY, p.account_id, to_wallet, TransferCode.DISBURSEMENT)] if to_wallet else []
            if excess:
                legs += [CreditLeg(TREASURY, BANK_FLOAT, excess, TransferCode.DISBURSEMENT_WATERFALL),
                         CreditLeg(DEPOSIT_FUNDING, DEPOSIT[n], excess, TransferCode.DISBURSEMENT_WATERFALL)]
            credits.append(tuple(legs))
        yield HeldBatch(self.source_wallet(wallet_id), credits)


def set_up(engine: Engine, ledger: Ledger, first_credit_tyiyn: int = 0) -> tuple[RuledSources, FakeDirectory]:
    dmnec = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
    accounts = [Account(CENTRAL_BANK, LEDGER, 1), Account(TREASURY, LEDGER, 5, flags=dmnec),
                Account(BANK_FLOAT, LEDGER, 4, flags=dmnec), Account(DEPOSIT_FUNDING, LEDGER, 7),
                *(Account(a, LEDGER, 5, flags=dmnec) for a in WALLET.values()),
                *(Account(a, LEDGER, 6, flags=dmnec) for a in DEPOSIT.values())]
    assert set(ledger.create_accounts(accounts)) == {CreateAccountResult.ok}
    funding = [Transfer(1, CENTRAL_BANK, TREASURY, BUDGET_TYIYN, LEDGER, 1)]
    if first_credit_tyiyn:  # wallet 1 already holds something: less room under its limit
        funding.append(Transfer(2, CENTRAL_BANK, WALLET[1], first_credit_tyiyn, LEDGER, 1))
    assert set(ledger.create_transfers(funding)) == {CreateTransferResult.ok}
    directory = FakeDirectory({pin(n): Destination(Channel.WALLET, account) for n, account in WALLET.items()})
    return RuledSources(TREASURY, ledger=ledger), directory


def approved(service: DisbursementService) -> str:
    service.create_programme("pensions", "Pensions", TREASURY_WALLET, BUDGET_TYIYN)
    data = "pin,amount_tyiyn,name,region\n" + "".join(f"{pin(n)},{AMOUNT_TYIYN},P{n},Naryn\n" for n in WALLET)
    run = service.upload("clerk", "run-1", "pensions", "2026-11", data.encode())
    return service.approve("supervisor", run.id).id


def posted(ledger: Ledger, account_id: int) -> tuple[int, int]:
    (account,) = ledger.lookup_accounts([account_id])
    return account.debits_posted, account.credits_posted


def test_a_recipient_frozen_after_the_upload_is_rejected_and_the_money_stays(
    engine: Engine, ledger: Ledger, store: LedgerStore
) -> None:
    sources, directory = set_up(engine, ledger)
    service = DisbursementService(engine, directory, ledger, sources)
    run_id = approved(service)
    sources.frozen.add(pin(2))  # a court order after the upload

    progress = service.execute(run_id)

    assert (progress.status, progress.paid, progress.rejected) == (RunStatus.COMPLETED, 2, 1)
    lines = {line.pin: (line.status, line.reason) for line in service.reconciliation(run_id).lines}
    assert lines[pin(2)] == (PaymentStatus.REJECTED, CreditRefusal.FROZEN.value)
    assert posted(ledger, WALLET[2]) == (0, 0)
    assert posted(ledger, TREASURY) == (2 * AMOUNT_TYIYN, BUDGET_TYIYN)  # the frozen one's money stayed
    assert service.programme("pensions").remaining_tyiyn == BUDGET_TYIYN - 2 * AMOUNT_TYIYN
    assert verify(store).ok


def test_the_excess_over_a_holding_limit_is_waterfalled_in_the_payments_chain(
    engine: Engine, ledger: Ledger, store: LedgerStore
) -> None:
    sources, directory = set_up(engine, ledger, first_credit_tyiyn=700_000)  # room: 300,000
    service = DisbursementService(engine, directory, ledger, sources)
    run_id = approved(service)

    progress = service.execute(run_id)

    assert (progress.paid, progress.paid_tyiyn) == (3, 3 * AMOUNT_TYIYN)
    assert posted(ledger, WALLET[1]) == (0, LIMIT_TYIYN)  # filled to its limit, never above
    assert posted(ledger, DEPOSIT[1]) == (0, 300_000)  # the rest, to the linked deposit
    assert posted(ledger, BANK_FLOAT) == (0, 300_000)
    assert posted(ledger, WALLET[2]) == (0, AMOUNT_TYIYN)
    payment = transfer_id("pensions", "2026-11", pin(1))
    (first, float_leg, deposit_leg) = ledger.lookup_transfers(
        [payment, leg_transfer_id(payment, 1), leg_transfer_id(payment, 2)])
    assert (first.credit_account_id, first.amount) == (WALLET[1], 300_000)
    assert (float_leg.code, deposit_leg.code) == (TransferCode.DISBURSEMENT_WATERFALL,) * 2
    assert verify(store).ok


def test_a_resumed_batch_whose_split_changed_pays_nobody_twice(
    engine: Engine, ledger: Ledger, store: LedgerStore
) -> None:
    batch_size = 1
    sources, directory = set_up(engine, ledger, first_credit_tyiyn=700_000)
    run_id = approved(DisbursementService(engine, directory, ledger, sources))
    dying = DisbursementService(engine, directory, KilledAfter(ledger, calls=1), sources)
    with pytest.raises(KeyboardInterrupt):  # wallet 1's chain reached the ledger, not the run's records
        dying.execute(run_id, batch_size=batch_size)

    # Resumed: wallet 1 is now full, so its plan differs; its first transfer exists: paid.
    progress = DisbursementService(engine, directory, ledger, sources).execute(run_id, batch_size=batch_size)

    assert (progress.paid, progress.rejected, progress.paid_tyiyn) == (3, 0, 3 * AMOUNT_TYIYN)
    assert posted(ledger, WALLET[1]) == (0, LIMIT_TYIYN)
    assert posted(ledger, DEPOSIT[1]) == (0, 300_000)
    assert posted(ledger, TREASURY) == (3 * AMOUNT_TYIYN, BUDGET_TYIYN)
    assert verify(store).ok
