"""Merchant invoices end to end on the in-process EVM: payments in KGST to per-invoice
addresses, confirmed at the follower's depth, screened, swept by EIP-3009 to the bridge's
redemption address, burned, and credited as som in the café's wallet.

A steady stream: each block carries `--per-block` payments (plain transfers, and every
other one an EIP-3009 authorization the platform submits); after each block the invoice
worker and the bridge run once, as the API's workers do. For each invoice,
confirmation-to-credit is from the moment its payment reached the configured depth to the
moment the invoice was seen settled (the wallet credited). Prints one JSON line:

    {"settled", "invoices", "invoices_per_s", "confirmation_to_credit_ms_p50",
     "confirmation_to_credit_ms_p99", "depth", "per_block", "seconds"}

The full run (docs/merchants.md): `python bench/invoices.py` (500 invoices, 5 per block,
depth 3); the default suite runs `--quick` (20 invoices). It reuses the test world of
tests/merchants (a SQLite database, the KGST bridge, the invoice service as the API wires it).
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: the test world lives there
from tests.merchants.world import MERCHANT, WALLET, MerchantWorld
from tests.stablecoin.world import ISSUANCE_ID, LEDGER, OPENING_TYIYN, wallet_account_id

from digisom.chain.contracts import kgst_artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.ledger.model import Transfer
from digisom.ledger.results import CreateTransferResult
from digisom.merchants.authorization import TokenDomain, sign
from digisom.merchants.model import InvoiceStatus
from digisom.stablecoin.accounts import derive_id

PRICE_TYIYN = 120_00
ROUNDS_AFTER_LAST_MAX = 50


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


def run(invoices: int, per_block: int, depth: int) -> dict[str, object]:
    chain = EmbeddedChain(56)
    with tempfile.TemporaryDirectory() as folder:
        world = MerchantWorld(Path(folder), chain, kgst_artifact(), depth=depth)
        try:
            return _run(world, chain, invoices, per_block)
        finally:
            world.close()


def _run(world: MerchantWorld, chain: EmbeddedChain, count: int, per_block: int) -> dict[str, object]:
    world.kgst.wallets.limit_tyiyn.clear()
    # The tourist's wallet opens with 10,000 som; the full run pays more than that.
    top_up = Transfer(derive_id("bench", "top-up"), ISSUANCE_ID, wallet_account_id("pensioner"),
                      count * PRICE_TYIYN, LEDGER, 1)
    assert world.kgst.ledger.create_transfers([top_up]) == [CreateTransferResult.ok]
    world.fund_payer("pensioner", count * PRICE_TYIYN)
    payer_key = world.kgst.keys["pensioner"]
    domain = TokenDomain("KGST Kyrgyz Som", chain.chain_id(), world.kgst.deployment.address)
    chain.automine = False
    paid_block: dict[str, int] = {}
    confirmed_at: dict[str, float] = {}
    settled_at: dict[str, float] = {}
    pending = list(range(count))
    started = time.perf_counter()
    rounds_after_last = 0
    while len(settled_at) < count and rounds_after_last < ROUNDS_AFTER_LAST_MAX:
        for n in pending[:per_block]:  # the café makes each invoice at the till, as the payer walks up
            invoice = world.service.create(MERCHANT, f"bench-{n}", WALLET, PRICE_TYIYN, "KGST")
            if len(paid_block) % 2:
                auth = sign(payer_key, domain, invoice.pay_address, invoice.pay_units, 0, 2**255,
                            "0x" + secrets.token_hex(32))
                world.service.submit_authorization(invoice.invoice_id, {
                    "from": auth.source, "to": auth.to, "value": auth.value, "validAfter": 0,
                    "validBefore": auth.valid_before, "nonce": auth.nonce, "signature": auth.signature})
            else:
                world.kgst.send_tokens("pensioner", invoice.pay_address, invoice.pay_units)
            paid_block[invoice.invoice_id] = chain.block_number() + 1
        pending = pending[per_block:]
        rounds_after_last += 0 if pending else 1
        chain.mine(1)
        now = time.perf_counter()
        for invoice_id, block in paid_block.items():
            if invoice_id not in confirmed_at and chain.block_number() - block + 1 >= world.depth:
                confirmed_at[invoice_id] = now
        # The two workers run continuously in the API; here once each per block, and the
        # invoice worker again so a credit posted this block is seen this block.
        world.service.process()
        world.kgst.bridge.process()
        world.service.process()
        now = time.perf_counter()
        # Only the invoices not yet seen settled (reading all 500 every block was the bench's
        # own cost, growing with the run, and counted in every latency).
        for invoice_id in [i for i in paid_block if i not in settled_at]:
            if world.service.invoice(invoice_id).status is InvoiceStatus.SETTLED:
                settled_at[invoice_id] = now
    seconds = time.perf_counter() - started
    credited = world.kgst.balance_tyiyn("merchant") - OPENING_TYIYN
    assert credited == len(settled_at) * PRICE_TYIYN, "the wallet holds exactly the settled invoices' som"
    assert world.kgst.report().balanced, "KGST supply equals the reserve"
    latencies = [(settled_at[i] - confirmed_at[i]) * 1000 for i in settled_at if i in confirmed_at]
    return {
        "settled": len(settled_at), "invoices": count, "invoices_per_s": round(len(settled_at) / seconds, 2),
        "confirmation_to_credit_ms_p50": round(statistics.median(latencies), 1) if latencies else None,
        "confirmation_to_credit_ms_p99": round(percentile(latencies, 0.99), 1) if latencies else None,
        "depth": world.depth, "per_block": per_block, "seconds": round(seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=500)
    parser.add_argument("--per-block", type=int, default=5)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20 invoices: the default suite's smoke run")
    args = parser.parse_args()
    print(json.dumps(run(20 if args.quick else args.invoices, args.per_block, args.depth)))


if __name__ == "__main__":
    main()
