"""Public spending aggregates: per programme, period and region, paid payments of
completed runs only, small cells suppressed; and a run's totals per status."""

from __future__ import annotations

from sqlalchemy import Engine

from digisom.disbursement.model import PaymentStatus
from digisom.disbursement.spending import MIN_PAYEES_PER_CELL, SpendingCell, StatusTotal, spending, status_totals
from digisom.ledger.service import Ledger
from tests.disbursement.test_execute import RECIPIENTS, TREASURY_CLERK, TREASURY_SUPERVISOR, amount_tyiyn, build, pin


def region(n: int) -> str:
    """Naryn 1-50; Talas 51-55 (53 has no wallet or bank account: 4 paid); Osh 56-60 (5 paid)."""
    return "Naryn" if n <= 50 else "Talas" if n <= 55 else "Osh"


def regional_file() -> bytes:
    lines = ["pin,amount_tyiyn,name,region"]
    lines += [f"{pin(n)},{amount_tyiyn(n)},Pensioner {n},{region(n)}" for n in range(1, RECIPIENTS + 1)]
    return ("\n".join(lines) + "\n").encode()


def paid_in(name: str) -> list[int]:
    return [n for n in range(1, RECIPIENTS + 1) if region(n) == name and n % 10 != 3]


def test_cells_count_paid_payees_of_completed_runs_and_suppress_small_ones(engine: Engine, ledger: Ledger) -> None:
    service, _ = build(engine, ledger)
    run = service.upload(TREASURY_CLERK, "pensions-2026-11", "pensions", "2026-11", regional_file())
    service.approve(TREASURY_SUPERVISOR, run.id)
    assert spending(engine) == []  # approved, not executed: nothing published
    service.execute(run.id)
    naryn, osh = paid_in("Naryn"), paid_in("Osh")
    assert len(paid_in("Talas")) == MIN_PAYEES_PER_CELL - 1 and len(osh) == MIN_PAYEES_PER_CELL
    assert spending(engine) == [
        SpendingCell("pensions", "2026-11", "Naryn", len(naryn), sum(amount_tyiyn(n) for n in naryn)),
        SpendingCell("pensions", "2026-11", "Osh", len(osh), sum(amount_tyiyn(n) for n in osh)),
        SpendingCell("pensions", "2026-11", "Talas", None, None),
    ]
    assert spending(engine)[2].suppressed and not spending(engine)[0].suppressed
    assert [c.region for c in spending(engine, offset=1, limit=1)] == ["Osh"]
    assert spending(engine, programme_id="pensions", period="2026-12") == []
    assert spending(engine, programme_id="child-benefit") == []

    totals = status_totals(engine, run.id)
    unclaimed = [n for n in range(1, RECIPIENTS + 1) if n % 10 == 3]
    assert totals[PaymentStatus.UNCLAIMED] == StatusTotal(len(unclaimed), sum(amount_tyiyn(n) for n in unclaimed))
    assert totals[PaymentStatus.PENDING] == StatusTotal(0, 0)
    assert totals[PaymentStatus.PAID].count == RECIPIENTS - len(unclaimed)
    assert status_totals(engine, "run_nothing") == dict.fromkeys(PaymentStatus, StatusTotal(0, 0))
