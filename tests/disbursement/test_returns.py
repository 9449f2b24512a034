"""Returns and re-payment: a bank sends a paid payment back, the treasury gets it back and
the budget line is restored; `repay` pays the unclaimed, refused and returned recipients
who now have a destination, under a new attempt and transfer id, never anyone twice."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from digisom.disbursement import tables
from digisom.disbursement.model import (
    InvalidInput,
    KeyReused,
    NotFound,
    OverBudget,
    PaymentStatus,
    Repayment,
    ReturnRefused,
    RunStatus,
    TransferCode,
    WrongState,
    return_transfer_id,
    transfer_id,
)
from digisom.disbursement.ports import Channel, Destination
from digisom.disbursement.reconciliation import to_csv, to_json
from digisom.disbursement.service import DisbursementService
from digisom.ledger.model import Account, AccountFlags, Transfer
from digisom.ledger.results import CreateAccountResult, CreateTransferResult
from digisom.ledger.service import Ledger
from tests.disbursement.directory import FakeDirectory, FakeSources
from tests.disbursement.test_execute import (
    BUDGET_TYIYN,
    COMMERCIAL_BANK,
    LEDGER,
    RECIPIENTS,
    TREASURY,
    TREASURY_CLERK,
    WALLETS_FIRST,
    KilledAfter,
    amount_tyiyn,
    approved_run,
    balance,
    build,
    channel,
    expected_paid,
    pin,
)

PERIOD = "2026-11"
WALLET_N = 1  # channel(1) is a wallet
BANK_N = 7  # channel(7) is a bank account
UNCLAIMED = [n for n in range(1, RECIPIENTS + 1) if channel(n) is Channel.NONE]


def paid_run(engine: Engine, ledger: Ledger) -> tuple[DisbursementService, FakeDirectory, str]:
    service, directory = build(engine, ledger)
    run_id = approved_run(service)
    service.execute(run_id)
    return service, directory, run_id


def payment(engine: Engine, n: int) -> dict[str, object]:
    with engine.connect() as conn:
        row = conn.execute(select(tables.payments).where(tables.payments.c.pin == pin(n))).mappings().one()
    return dict(row)


def spent_tyiyn(service: DisbursementService) -> int:
    return BUDGET_TYIYN - service.programme("pensions").remaining_tyiyn


def test_a_returned_payment_goes_back_to_the_treasury_and_restores_the_budget(engine: Engine, ledger: Ledger) -> None:
    service, _, run_id = paid_run(engine, ledger)
    amount = amount_tyiyn(BANK_N)
    spent_before = spent_tyiyn(service)
    bank_before = balance(ledger, COMMERCIAL_BANK)

    returned = service.record_return(TREASURY_CLERK, run_id, pin(BANK_N), "account closed", "ret-7")

    assert (returned.pin, returned.attempt, returned.amount_tyiyn, returned.reason) == (
        pin(BANK_N),
        0,
        amount,
        "account closed",
    )
    assert int(returned.returned_transfer_id, 16) == transfer_id("pensions", PERIOD, pin(BANK_N))
    assert int(returned.transfer_id, 16) == return_transfer_id("pensions", PERIOD, pin(BANK_N), 0)
    (back,) = ledger.lookup_transfers([int(returned.transfer_id, 16)])
    assert (back.debit_account_id, back.credit_account_id, back.amount, back.code) == (
        COMMERCIAL_BANK,
        TREASURY,
        amount,
        TransferCode.DISBURSEMENT_RETURN,
    )
    assert balance(ledger, COMMERCIAL_BANK) == (bank_before[0] + amount, bank_before[1])
    row = payment(engine, BANK_N)
    assert (row["status"], row["reason"]) == (PaymentStatus.RETURNED.value, "account closed")
    assert spent_tyiyn(service) == spent_before - amount
    progress = service.progress(run_id)
    assert (progress.returned, progress.paid) == (1, len(expected_paid()) - 1)

    # The same request again is the same return; another key cannot return it twice.
    assert service.record_return(TREASURY_CLERK, run_id, pin(BANK_N), "account closed", "ret-7") == returned
    with pytest.raises(WrongState):
        service.record_return(TREASURY_CLERK, run_id, pin(BANK_N), "account closed", "ret-7-again")
    with pytest.raises(KeyReused):
        service.record_return(TREASURY_CLERK, run_id, pin(WALLET_N), "wallet closed", "ret-7")
    assert spent_tyiyn(service) == spent_before - amount
    assert service.returns(run_id) == [returned]


def test_only_a_paid_payment_can_be_returned(engine: Engine, ledger: Ledger) -> None:
    service, _directory = build(engine, ledger)
    run_id = approved_run(service)
    with pytest.raises(WrongState):  # not paid yet
        service.record_return(TREASURY_CLERK, run_id, pin(WALLET_N), "wallet closed", "early")
    service.execute(run_id)
    with pytest.raises(WrongState):  # never paid: no destination
        service.record_return(TREASURY_CLERK, run_id, pin(UNCLAIMED[0]), "wallet closed", "unclaimed")
    with pytest.raises(NotFound):
        service.record_return(TREASURY_CLERK, run_id, "29999999999999", "wallet closed", "stranger")
    with pytest.raises(InvalidInput):
        service.record_return(TREASURY_CLERK, run_id, pin(WALLET_N), "", "no-reason")
    with pytest.raises(InvalidInput):
        service.record_return(TREASURY_CLERK, run_id, pin(WALLET_N), "x" * 65, "long-reason")
    assert service.returns(run_id) == []


def test_a_return_the_ledger_refuses_changes_nothing(engine: Engine, ledger: Ledger) -> None:
    service, directory = build(engine, ledger)
    guarded = 5_000
    outside = 5_001
    assert ledger.create_accounts(
        [Account(guarded, LEDGER, 5, flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS), Account(outside, LEDGER, 5)]
    ) == [CreateAccountResult.ok, CreateAccountResult.ok]
    directory.known[pin(WALLET_N)] = Destination(Channel.WALLET, guarded)
    run_id = approved_run(service)
    service.execute(run_id)
    # The recipient spent the money before the return came in.
    spend = Transfer(9_999, guarded, outside, amount_tyiyn(WALLET_N), LEDGER, 1)
    assert ledger.create_transfers([spend]) == [CreateTransferResult.ok]
    spent_before = spent_tyiyn(service)

    with pytest.raises(ReturnRefused, match="exceeds_credits"):
        service.record_return(TREASURY_CLERK, run_id, pin(WALLET_N), "wallet closed", "late")

    assert payment(engine, WALLET_N)["status"] == PaymentStatus.PAID.value
    assert spent_tyiyn(service) == spent_before
    assert service.returns(run_id) == []


def test_repay_pays_recipients_who_found_a_destination_under_a_new_attempt(engine: Engine, ledger: Ledger) -> None:
    service, directory, run_id = paid_run(engine, ledger)
    service.record_return(TREASURY_CLERK, run_id, pin(BANK_N), "account closed", "ret-7")
    # Two unclaimed recipients opened wallets; the returned one did too; the rest did not.
    newly = UNCLAIMED[:2]
    for n in [*newly, BANK_N]:
        directory.known[pin(n)] = Destination(Channel.WALLET, WALLETS_FIRST + n)
    spent_before = spent_tyiyn(service)

    repayment = service.repay(TREASURY_CLERK, run_id, "repay-1")

    repaid = [*newly, BANK_N]
    assert repayment.recipients == 3
    assert repayment.total_tyiyn == sum(amount_tyiyn(n) for n in repaid)
    assert repayment.progress.status is RunStatus.COMPLETED
    assert (repayment.progress.paid, repayment.progress.returned, repayment.progress.pending) == (
        len(expected_paid()) + 2,
        0,
        0,
    )
    for n in repaid:
        row = payment(engine, n)
        assert (row["status"], row["attempt"], row["channel"]) == ("paid", 1, "wallet")
        (paid,) = ledger.lookup_transfers([transfer_id("pensions", PERIOD, pin(n), 1)])
        assert (paid.debit_account_id, paid.credit_account_id, paid.amount) == (
            TREASURY,
            WALLETS_FIRST + n,
            amount_tyiyn(n),
        )
    assert spent_tyiyn(service) == spent_before + repayment.total_tyiyn
    for n in UNCLAIMED[2:]:
        assert (payment(engine, n)["status"], payment(engine, n)["attempt"]) == ("unclaimed", 0)

    # The same request again changes nothing; a new one finds nobody new to pay.
    assert service.repay(TREASURY_CLERK, run_id, "repay-1") == repayment
    again = service.repay(TREASURY_CLERK, run_id, "repay-2")
    assert (again.recipients, again.total_tyiyn) == (0, 0)
    assert spent_tyiyn(service) == spent_before + repayment.total_tyiyn

    report = service.reconciliation(run_id)
    assert report.repaid() == (3, repayment.total_tyiyn)
    document = json.loads(to_json(report))
    assert document["summary"]["repaid"] == {"count": 3, "amount_tyiyn": str(repayment.total_tyiyn)}
    assert document["summary"]["returns"] == {"count": 1, "amount_tyiyn": str(amount_tyiyn(BANK_N))}
    assert document["returns"][0]["reason"] == "account closed"
    assert f"{pin(BANK_N)},Pensioner {BANK_N},Naryn,{amount_tyiyn(BANK_N)},paid,wallet,," in to_csv(report)


def test_a_paid_attempt_returned_again_is_returned_once_per_attempt(engine: Engine, ledger: Ledger) -> None:
    service, _directory, run_id = paid_run(engine, ledger)
    first = service.record_return(TREASURY_CLERK, run_id, pin(WALLET_N), "wallet closed", "r1")
    service.repay(TREASURY_CLERK, run_id, "p1")  # the directory still names the same wallet
    second = service.record_return(TREASURY_CLERK, run_id, pin(WALLET_N), "wallet closed again", "r2")
    assert (first.attempt, second.attempt) == (0, 1)
    assert first.transfer_id != second.transfer_id
    assert payment(engine, WALLET_N)["status"] == PaymentStatus.RETURNED.value
    report = json.loads(to_json(service.reconciliation(run_id)))
    assert report["summary"]["returned"] == {"count": 1, "amount_tyiyn": str(amount_tyiyn(WALLET_N))}
    assert report["summary"]["returns"]["count"] == 2
    # Wallet: credited twice, debited twice; the treasury is whole for this recipient.
    assert balance(ledger, WALLETS_FIRST + WALLET_N) == (2 * amount_tyiyn(WALLET_N), 2 * amount_tyiyn(WALLET_N))


def test_repay_retries_a_payment_the_ledger_refused(engine: Engine, ledger: Ledger) -> None:
    service, directory = build(engine, ledger)
    directory.known[pin(WALLET_N)] = Destination(Channel.WALLET, 999_999)  # no such account
    run_id = approved_run(service)
    service.execute(run_id)
    assert payment(engine, WALLET_N)["status"] == PaymentStatus.REJECTED.value
    directory.known[pin(WALLET_N)] = Destination(Channel.WALLET, WALLETS_FIRST + WALLET_N)
    assert service.repay(TREASURY_CLERK, run_id, "p1").recipients == 1
    assert (payment(engine, WALLET_N)["status"], payment(engine, WALLET_N)["attempt"]) == ("paid", 1)
    assert balance(ledger, WALLETS_FIRST + WALLET_N) == (0, amount_tyiyn(WALLET_N))


def test_repay_over_the_budget_line_is_refused_whole(engine: Engine, ledger: Ledger) -> None:
    service, directory, run_id = paid_run(engine, ledger)
    for n in UNCLAIMED:
        directory.known[pin(n)] = Destination(Channel.WALLET, WALLETS_FIRST + n)
    with engine.begin() as conn:  # leave less than the unclaimed total on the line
        conn.execute(
            update(tables.programmes)
            .where(tables.programmes.c.id == "pensions")
            .values(remaining_tyiyn=amount_tyiyn(UNCLAIMED[0]))
        )
    with pytest.raises(OverBudget):
        service.repay(TREASURY_CLERK, run_id, "p1")
    assert service.run(run_id).status is RunStatus.COMPLETED
    assert all(payment(engine, n)["status"] == "unclaimed" for n in UNCLAIMED)
    with engine.connect() as conn:
        assert conn.execute(select(tables.repayments)).first() is None


def test_repay_needs_a_completed_run_and_its_own_key(engine: Engine, ledger: Ledger) -> None:
    service, _directory = build(engine, ledger)
    run_id = approved_run(service)
    with pytest.raises(WrongState):
        service.repay(TREASURY_CLERK, run_id, "p1")
    service.execute(run_id)
    service.repay(TREASURY_CLERK, run_id, "p1")
    other = approved_run(service, period="2026-12")
    service.execute(other)
    with pytest.raises(KeyReused):
        service.repay(TREASURY_CLERK, other, "p1")


def test_a_repayment_killed_after_the_ledger_resumes_and_pays_nobody_twice(engine: Engine, ledger: Ledger) -> None:
    service, directory, run_id = paid_run(engine, ledger)
    for n in UNCLAIMED:
        directory.known[pin(n)] = Destination(Channel.WALLET, WALLETS_FIRST + n)
    dying = DisbursementService(engine, directory, KilledAfter(ledger, calls=1), FakeSources(TREASURY))
    with pytest.raises(KeyboardInterrupt):
        dying.repay(TREASURY_CLERK, run_id, "p1")
    assert service.run(run_id).status is RunStatus.EXECUTING
    assert service.progress(run_id).pending == len(UNCLAIMED)
    with pytest.raises(WrongState):  # another request must not start a second attempt
        service.repay(TREASURY_CLERK, run_id, "p2")

    done = service.repay(TREASURY_CLERK, run_id, "p1")

    assert done.progress.status is RunStatus.COMPLETED
    assert done.progress.paid == RECIPIENTS
    for n in UNCLAIMED:
        assert balance(ledger, WALLETS_FIRST + n) == (0, amount_tyiyn(n))
        assert payment(engine, n)["attempt"] == 1
    total = sum(amount_tyiyn(n) for n in range(1, RECIPIENTS + 1))
    assert balance(ledger, TREASURY) == (total, BUDGET_TYIYN)
    assert spent_tyiyn(service) == total


def test_the_database_keeps_one_return_per_attempt_and_known_statuses(engine: Engine, ledger: Ledger) -> None:
    service, _, run_id = paid_run(engine, ledger)
    returned = service.record_return(TREASURY_CLERK, run_id, pin(WALLET_N), "wallet closed", "r1")
    with engine.connect() as conn:
        row = conn.execute(select(tables.returns)).mappings().one()
    # The same attempt again, under another request id and transfer id.
    duplicate = {key: value for key, value in row.items() if key != "seq"} | {"id": "ret_x", "transfer_id": "f" * 32}
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(tables.returns.insert().values(**duplicate))
    for values in ({"status": "refunded"}, {"attempt": -1}):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(update(tables.payments).where(tables.payments.c.pin == pin(WALLET_N)).values(**values))
    assert service.returns(run_id) == [returned]


@dataclass
class RacedBy:
    """A ledger that lets another request run to its end just before handing over a batch."""

    ledger: Ledger
    other: Callable[[], object]

    def create_transfers(self, events: Sequence[Transfer]) -> list[CreateTransferResult]:
        other, self.other = self.other, lambda: None
        other()
        return self.ledger.create_transfers(events)


def test_two_returns_of_one_payment_racing_record_one(engine: Engine, ledger: Ledger) -> None:
    service, directory, run_id = paid_run(engine, ledger)
    spent_before = spent_tyiyn(service)
    winner: list[object] = []

    def other() -> None:
        winner.append(service.record_return(TREASURY_CLERK, run_id, pin(WALLET_N), "wallet closed", "second"))

    racing = DisbursementService(engine, directory, RacedBy(ledger, other), FakeSources(TREASURY))
    with pytest.raises(WrongState):
        racing.record_return(TREASURY_CLERK, run_id, pin(WALLET_N), "wallet closed", "first")
    assert service.returns(run_id) == winner
    assert spent_tyiyn(service) == spent_before - amount_tyiyn(WALLET_N)
    assert balance(ledger, WALLETS_FIRST + WALLET_N) == (amount_tyiyn(WALLET_N), amount_tyiyn(WALLET_N))


@dataclass
class ResolvedAfter:
    """A directory that lets another request run to its end before it answers."""

    directory: FakeDirectory
    other: Callable[[], object]

    def resolve(self, pins: Sequence[str], benefit_scheme: str = "") -> Mapping[str, Destination]:
        other, self.other = self.other, lambda: None
        other()
        return self.directory.resolve(pins, benefit_scheme)


def test_two_repayments_racing_pay_each_recipient_once(engine: Engine, ledger: Ledger) -> None:
    service, directory, run_id = paid_run(engine, ledger)
    for n in UNCLAIMED:
        directory.known[pin(n)] = Destination(Channel.WALLET, WALLETS_FIRST + n)
    first: list[Repayment] = []

    def other() -> None:
        first.append(service.repay(TREASURY_CLERK, run_id, "first"))

    late = DisbursementService(engine, ResolvedAfter(directory, other), ledger, FakeSources(TREASURY))
    second = late.repay(TREASURY_CLERK, run_id, "second")

    assert (first[0].recipients, second.recipients) == (len(UNCLAIMED), 0)
    for n in UNCLAIMED:
        assert balance(ledger, WALLETS_FIRST + n) == (0, amount_tyiyn(n))
        assert payment(engine, n)["attempt"] == 1
