"""Property: whatever mix of returns, recipients opening or closing accounts and
re-payments happens after a run, with kills before or after the ledger commits a
re-payment or a return (each interrupted request retried, a return with another key),
every recipient ends up paid at most once: per recipient, the ledger's payments less its
returns is one exactly when the payment is `paid`, the treasury is debited by exactly the
paid total, and the budget line agrees. (SQLite and a memory ledger, for speed.)"""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from digisom.disbursement import tables
from digisom.disbursement.model import (
    PaymentStatus,
    ReturnRefused,
    RunStatus,
    WrongState,
    return_transfer_id,
    transfer_id,
)
from digisom.disbursement.ports import Channel, Destination
from digisom.disbursement.service import DisbursementService
from tests.disbursement.directory import FakeSources
from tests.disbursement.test_execute import (
    BUDGET_TYIYN,
    COMMERCIAL_BANK,
    TREASURY,
    TREASURY_CLERK,
    WALLETS_FIRST,
    balance,
)
from tests.disbursement.test_resume_property import Killed, approved_sqlite_run

PERIOD = "2026-11"
WATCHED = [1, 3, 7, 13, 17, 23]  # wallets, bank accounts and unclaimed ones (see `channel`)
DESTINATIONS = {
    "wallet": lambda n: Destination(Channel.WALLET, WALLETS_FIRST + n),
    "bank": lambda _: Destination(Channel.BANK_ACCOUNT, COMMERCIAL_BANK),
    "none": lambda _: Destination(Channel.NONE),
}
KILL = st.one_of(st.none(), st.booleans())  # no kill, or a kill before (False) / after (True) the ledger

operations = st.lists(
    st.one_of(
        st.tuples(st.just("return"), st.sampled_from(WATCHED), KILL),
        st.tuples(st.just("move"), st.sampled_from(WATCHED), st.sampled_from(sorted(DESTINATIONS))),
        st.tuples(st.just("repay"), st.just(0), KILL),
    ),
    max_size=10,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=operations)
def test_returns_and_repayments_never_pay_anyone_twice(steps: list[tuple[str, int, object]]) -> None:
    with approved_sqlite_run() as run:
        engine, ledger, service, directory, run_id = run.engine, run.ledger, run.service, run.directory, run.run_id
        service.execute(run_id)
        interrupted_returns: list[int] = []
        for step, (action, n, arg) in enumerate(steps):
            kill = arg if action != "move" else None
            sink = ledger if kill is None else Killed(ledger, 1, after_commit=bool(kill))
            acting = DisbursementService(engine, directory, sink, FakeSources(TREASURY))
            if action == "move":
                directory.known[f"{20_000_000_000_000 + n:014d}"] = DESTINATIONS[str(arg)](n)
            elif action == "return":
                try:
                    acting.record_return(TREASURY_CLERK, run_id, f"{20_000_000_000_000 + n:014d}", "closed", f"r{step}")
                except KeyboardInterrupt:
                    interrupted_returns.append(n)
                except (WrongState, ReturnRefused):
                    pass  # not paid (or being re-paid): nothing to return
            else:
                if service.run(run_id).status is RunStatus.EXECUTING:
                    service.execute(run_id)  # an interrupted re-payment is resumed first
                with contextlib.suppress(KeyboardInterrupt):
                    acting.repay(TREASURY_CLERK, run_id, f"p{step}")
        if service.run(run_id).status is RunStatus.EXECUTING:
            service.execute(run_id)
        for retry, n in enumerate(interrupted_returns):
            with contextlib.suppress(WrongState):
                service.record_return(TREASURY_CLERK, run_id, f"{20_000_000_000_000 + n:014d}", "closed", f"x{retry}")
        with engine.connect() as conn:
            payments = list(conn.execute(select(tables.payments)).mappings())
            recorded_returns = len(list(conn.execute(select(tables.returns))))
        remaining_tyiyn = service.programme("pensions").remaining_tyiyn

    ledger_returns = 0
    paid_tyiyn = 0
    for payment in payments:
        attempts = range(payment["attempt"] + 1)
        paid = ledger.lookup_transfers([transfer_id("pensions", PERIOD, payment["pin"], a) for a in attempts])
        returned = ledger.lookup_transfers(
            [return_transfer_id("pensions", PERIOD, payment["pin"], a) for a in attempts]
        )
        is_paid = payment["status"] == PaymentStatus.PAID.value
        assert len(paid) - len(returned) == (1 if is_paid else 0), payment
        assert all(t.amount == payment["amount_tyiyn"] for t in [*paid, *returned])
        ledger_returns += len(returned)
        paid_tyiyn += payment["amount_tyiyn"] if is_paid else 0
    assert recorded_returns == ledger_returns
    debits, credits = balance(ledger, TREASURY)
    assert debits - (credits - BUDGET_TYIYN) == paid_tyiyn
    assert remaining_tyiyn == BUDGET_TYIYN - paid_tyiyn
