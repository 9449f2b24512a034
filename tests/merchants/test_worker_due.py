"""The invoice worker looks only at invoices with a next step, found through indexes
(migration 2): a settled or a waiting, unexpired invoice is not read in a round."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from digisom.merchants import repository as repo
from digisom.merchants.model import InvoiceStatus
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
