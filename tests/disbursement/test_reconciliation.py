"""The reconciliation report of a run: paid, unclaimed and rejected with reasons, as CSV
and JSON, agreeing with the ledger and with the budget line."""

from __future__ import annotations

import csv
import io
import json

from sqlalchemy import Engine

from digisom.disbursement.model import PaymentStatus, transfer_id
from digisom.disbursement.ports import Channel, Destination
from digisom.disbursement.reconciliation import CSV_COLUMNS, to_csv, to_json
from digisom.ledger.service import Ledger
from tests.disbursement.test_execute import (
    BUDGET_TYIYN,
    RECIPIENTS,
    amount_tyiyn,
    approved_run,
    build,
    channel,
    pin,
)


def test_the_report_lists_every_recipient_with_its_outcome(engine: Engine, ledger: Ledger) -> None:
    service, directory = build(engine, ledger)
    directory.known[pin(1)] = Destination(Channel.WALLET, 999_999)  # refused by the ledger
    run_id = approved_run(service)
    before = service.reconciliation(run_id)
    assert {line.status for line in before.lines} == {PaymentStatus.PENDING}
    assert all(line.transfer_id == "" for line in before.lines)
    service.execute(run_id, batch_size=16)

    report = service.reconciliation(run_id)

    assert [line.line for line in report.lines] == list(range(2, RECIPIENTS + 2))
    by_pin = {line.pin: line for line in report.lines}
    assert by_pin[pin(1)].status is PaymentStatus.REJECTED
    assert by_pin[pin(1)].reason == "credit_account_not_found"
    assert by_pin[pin(3)].status is PaymentStatus.UNCLAIMED
    assert by_pin[pin(3)].transfer_id == ""
    assert by_pin[pin(7)].channel == Channel.BANK_ACCOUNT.value
    assert by_pin[pin(2)].transfer_id == f"{transfer_id('pensions', '2026-11', pin(2)):032x}"
    paid_tyiyn = sum(amount_tyiyn(n) for n in range(2, RECIPIENTS + 1) if channel(n) is not Channel.NONE)
    totals = report.totals_tyiyn()
    assert totals[PaymentStatus.PAID] == paid_tyiyn == report.progress.paid_tyiyn
    assert totals[PaymentStatus.REJECTED] == amount_tyiyn(1)
    assert service.programme("pensions").remaining_tyiyn == BUDGET_TYIYN - paid_tyiyn
    # Every paid line names a transfer the ledger holds, for its amount.
    paid_lines = [line for line in report.lines if line.status is PaymentStatus.PAID]
    transfers = {t.id: t for t in ledger.lookup_transfers([int(line.transfer_id, 16) for line in paid_lines])}
    assert [transfers[int(line.transfer_id, 16)].amount for line in paid_lines] == [
        line.amount_tyiyn for line in paid_lines
    ]

    rows = list(csv.DictReader(io.StringIO(to_csv(report))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == RECIPIENTS
    assert rows[0]["status"] == "rejected" and rows[0]["reason"] == "credit_account_not_found"

    document = json.loads(to_json(report))
    assert document["currency"] == "KGS"
    assert document["status"] == "completed"
    assert document["summary"]["paid"] == {"count": report.progress.paid, "amount_tyiyn": str(paid_tyiyn)}
    assert document["summary"]["unclaimed"]["count"] == 6
    assert document["summary"]["rejected"] == {"count": 1, "amount_tyiyn": str(amount_tyiyn(1))}
    assert all(isinstance(line["amount_tyiyn"], str) for line in document["lines"])
