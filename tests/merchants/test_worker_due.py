"""The invoice worker looks only at invoices with a next step, found through indexes
(migration 2): a settled or a waiting, unexpired invoice is not read in a round."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, text

from digisom.merchants import repository as repo
from digisom.merchants.model import InvoiceStatus, MoveKind, MoveState
from digisom.merchants.service import ACTIVE, AWAITING, GRACE_S_DEFAULT
from tests.merchants.world import MERCHANT, WALLET, MerchantWorld


def _due(world: MerchantWorld) -> list[str]:
    expired_before = (world.clock() - timedelta(seconds=GRACE_S_DEFAULT)).isoformat()  # the worker's cut-off
    with world.kgst.engine.connect() as conn:
        return repo.invoice_ids_due(conn, [s.value for s in AWAITING], expired_before, [s.value for s in ACTIVE])


def test_only_invoices_with_a_next_step_are_due(world: MerchantWorld) -> None:
    world.fund_payer("pensioner", 500_00)
    settled = world.service.create(MERCHANT, "settled", WALLET, 100_00, "KGST")
    world.kgst.send_tokens("pensioner", settled.pay_address, 100_00)
    world.settle()
    assert world.service.invoice(settled.invoice_id).status is InvoiceStatus.SETTLED
    waiting = world.service.create(MERCHANT, "waiting", WALLET, 100_00, "KGST", expires_in_s=3600)
    lapsing = world.service.create(MERCHANT, "lapsing", WALLET, 100_00, "KGST", expires_in_s=60)
    assert _due(world) == []
    world.clock.advance(60 + 121)  # past expiry and its grace
    assert _due(world) == [lapsing.invoice_id]
    world.service.process()
    assert world.service.invoice(lapsing.invoice_id).status is InvoiceStatus.EXPIRED
    assert world.service.invoice(waiting.invoice_id).status is InvoiceStatus.OPEN
    assert _due(world) == []


def test_the_worker_reads_moves_and_expiries_through_indexes(world: MerchantWorld) -> None:
    with world.kgst.engine.connect() as conn:
        moves = " ".join(str(r[-1]) for r in conn.execute(text(
            "EXPLAIN QUERY PLAN SELECT DISTINCT invoice_id FROM merchant_moves WHERE state IN ('signed', 'sent')")))
        expiring = " ".join(str(r[-1]) for r in conn.execute(text(
            "EXPLAIN QUERY PLAN SELECT invoice_id FROM merchant_invoices WHERE status = 'open' "
            "AND expires_at < '2026-12-07'")))
    assert "ix_merchant_moves_state" in moves, moves
    assert "ix_merchant_invoices_status_expires" in expiring, expiring


def test_a_settling_invoice_waiting_for_its_credit_is_not_read_again_in_its_round(world: MerchantWorld) -> None:
    world.fund_payer("pensioner", 100_00)
    invoice = world.service.create(MERCHANT, "waits", WALLET, 100_00, "KGST")
    world.kgst.send_tokens("pensioner", invoice.pay_address, 100_00)
    for _ in range(world.depth + 1):  # the payment at depth, swept, the sweep at depth; the bridge never runs
        world.mine()
        world.service.process()
    sweep = next(m for m in world.service.moves(invoice.invoice_id) if m.kind is MoveKind.SWEEP)
    assert sweep.state is MoveState.CONFIRMED
    reads: list[str] = []

    def listener(conn: object, cursor: object, statement: str, *rest: object) -> None:
        reads.append(statement)

    loaded = world.service.invoice(invoice.invoice_id)
    event.listen(world.kgst.engine, "before_cursor_execute", listener)
    try:
        advanced = world.service.advance(loaded)
    finally:
        event.remove(world.kgst.engine, "before_cursor_execute", listener)
    assert advanced == world.service.invoice(invoice.invoice_id)
    assert advanced.status is InvoiceStatus.SETTLING  # the bridge has not credited the wallet
    assert [s for s in reads if "FROM merchant_invoices" in s] == []  # nothing moved: no second read
