"""The merchant chapter of `digisom demo`: a tourist pays a café in Karakol with KGST, and
the café receives som in its digital som wallet.

The API is built as `digisom serve --merchant-chain embedded` builds it (the same
`ServeSettings`): KGST on the in-process EVM, the KGST bridge and the invoice worker
running in the process. The café creates an invoice in som through the HTTP API (an
EIP-681 link and its QR code); the tourist, who bought KGST at an exchange, pays it with a
plain transfer to the invoice's own address; the worker sees it confirmed at depth,
screens the payer, sweeps it to the bridge, which burns it and credits the café's wallet.

The closing check: the café's wallet credited by exactly the price, one sweep and one
redemption, nothing more after further rounds, KGST supply equal to its reserve, and the
ledger's journal verified.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from fastapi.testclient import TestClient
from rich.console import Console

from digisom.api.merchant_rail import EMBEDDED, MerchantRail, RailSettings
from digisom.api.workers import ServeSettings
from digisom.cbdc import accounts as cbdc_accounts
from digisom.cbdc.model import HolderKind, MerchantProfile, ParticipantKind
from digisom.demos.world import DemoWorld
from digisom.kernel.access import Actor, Role
from digisom.ledger.audit import verify
from digisom.money import KGS, Money
from digisom.stablecoin.model import Kind, State
from digisom.stores.url import open_store

if TYPE_CHECKING:
    from digisom.api.runtime import Runtime

BANK: Final = "AYIL"
SOM: Final = 100
CAFE: Final = "cafe-karakol"
PRICE_TYIYN: Final = 1_250 * SOM  # two plov, a salad and tea for four
DEPTH: Final = 3
ROUND_S: Final = 0.05
WAIT_S_MAX: Final = 60.0
CENTRAL_BANK: Final = Actor(Role.CENTRAL_BANK_OPERATOR, "merchant-demo")
AYIL_OPERATOR: Final = Actor(Role.BANK_OPERATOR, "merchant-demo", BANK)


def _som(tyiyn: int) -> str:
    return Money(tyiyn, KGS).format()


@dataclass
class Karakol:
    """A served API with the merchant rail, the café's and the exchange's wallets, and the
    tourist's key on the in-process chain."""

    runtime: Runtime
    rail: MerchantRail
    client: TestClient
    cafe_wallet: str
    exchange_wallet: str
    tourist: Any  # her chain key (LocalAccount: the EVM stack loads with the rail)

    @classmethod
    def open(cls, folder: Path, round_s: float = ROUND_S, sanctions_lists: tuple[str, ...] = ()) -> Karakol:
        """Build the API as `digisom serve --merchant-chain embedded` does (screening against
        `sanctions_lists`), then the wallets."""
        from digisom.chain.keys import generate_key  # noqa: PLC0415 (the EVM stack, only when asked)

        settings = ServeSettings(str(folder), None, None, None, None, sanctions_lists=sanctions_lists,
                                 merchant_rail=RailSettings(EMBEDDED, confirmations=DEPTH, interval_s=round_s))
        runtime = settings.build_runtime()
        cbdc = runtime.service
        cbdc.register_participant("ayil-bank", ParticipantKind.COMMERCIAL_BANK, "Ayil Bank", BANK)
        cbdc.convert(CENTRAL_BANK, "reserve_credit", BANK, 1_000_000 * SOM, "merchant-demo-reserves")
        cbdc.convert(AYIL_OPERATOR, "issue", BANK, 500_000 * SOM, "merchant-demo-issue")
        cafe = cbdc.open_wallet(AYIL_OPERATOR, "merchant-demo-cafe", CAFE, HolderKind.MERCHANT, 2, "Café Karakol",
                                "+996700100200", "2468", MerchantProfile("Café Karakol", "Karakol", "5814"))
        exchange = cbdc.open_wallet(AYIL_OPERATOR, "merchant-demo-exchange", "exchange-desk",
                                    HolderKind.INDIVIDUAL, 2, "Ala-Too exchange desk", "+996700100300", "1357", None)
        cbdc.credit_deposit(AYIL_OPERATOR, exchange.id, 20_000 * SOM, "merchant-demo-deposit")
        cbdc.fund(AYIL_OPERATOR, exchange.id, 10_000 * SOM, "merchant-demo-fund")
        return cls(runtime, runtime.app.state.merchant_rail, TestClient(runtime.app), cafe.id, exchange.id,
                   generate_key())

    def close(self) -> None:
        self.client.close()
        self.runtime.close()

    def balance_tyiyn(self, wallet_id: str) -> int:
        account = self.runtime.service.ctx.ledger.account(cbdc_accounts.wallet_account_id(wallet_id))
        return cbdc_accounts.balance_tyiyn(account)

    def buy_kgst(self, amount_tyiyn: int) -> str:
        """The tourist buys KGST at the exchange: the bridge mints it from the exchange's som."""
        bridge = self._bridge()
        op = bridge.request_mint("merchant-demo-tourist-kgst", self.exchange_wallet, self.tourist.address,
                                 amount_tyiyn)
        done = wait_for(lambda: bridge.operation(op.id).state in (State.POSTED, State.REJECTED, State.VOIDED))
        return bridge.operation(op.id).state.value if done else "not posted in time"

    def headers(self, key: str | None = None) -> dict[str, str]:
        token = self.runtime.issuer.issue(Role.MERCHANT, CAFE, None, 600)
        return {"Authorization": f"Bearer {token}"} | ({"Idempotency-Key": key} if key else {})

    def create_invoice(self, amount_tyiyn: int, key: str) -> dict[str, Any]:
        body = {"wallet_id": self.cafe_wallet, "amount_tyiyn": str(amount_tyiyn), "asset": "KGST",
                "description": "two plov, a salad and tea for four"}
        created = self.client.post("/v1/merchant-invoices", json=body, headers=self.headers(key))
        created.raise_for_status()
        found: dict[str, Any] = created.json()
        return found

    def pay(self, to: str, amount_units: int) -> str:
        """A plain KGST transfer from the tourist's wallet app."""
        from digisom.chain.transactor import Transactor  # noqa: PLC0415

        if self.rail.chain is None or self.rail.kgst_abi is None:
            raise RuntimeError("the merchant rail was not built")
        data = self.rail.kgst_abi.fn("transfer").encode(to, amount_units)
        return Transactor(self.rail.chain, self.tourist).send(self.rail.kgst_address, data).tx_hash

    def payer_view(self, invoice_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.client.get(f"/v1/merchant-invoices/{invoice_id}/pay").json()
        return found

    def invoice(self, invoice_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.client.get(f"/v1/merchant-invoices/{invoice_id}", headers=self.headers()).json()
        return found

    def statuses_until(self, invoice_id: str, final: str) -> list[str]:
        """The invoice's statuses as the payer's page shows them, polled until `final`."""
        seen: list[str] = []

        def look() -> bool:
            status = str(self.payer_view(invoice_id)["status"])
            if not seen or seen[-1] != status:
                seen.append(status)
            return status == final

        wait_for(look)
        return seen

    def _bridge(self) -> Any:
        if self.rail.bridge is None:
            raise RuntimeError("the merchant rail was not built")
        return self.rail.bridge


def wait_for(done: Callable[[], bool], timeout_s: float = WAIT_S_MAX, poll_s: float = ROUND_S) -> bool:
    """Poll `done` until true or `timeout_s` passed; whether it came true."""
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            return False
        time.sleep(poll_s)
    return True


def run_merchants_demo(world: DemoWorld, out_dir: Path | None, console: Console | None = None) -> bool:
    """Tell the café's story; True when the closing check held. Told once per world: the
    in-process chain (and so the token the invoices name) is new on every start."""
    console = console or Console()
    if world.told("merchants"):
        console.rule("Merchants: a tourist pays a café in Karakol in KGST; the café receives som")
        return world.retell("merchants", console)
    town = Karakol.open(world.data_dir)
    try:
        told = _tell(town, console, out_dir)
    finally:
        town.close()
    world.mark_told("merchants")
    return told


def _tell(town: Karakol, console: Console, out_dir: Path | None) -> bool:
    console.rule("Merchants: a tourist pays a café in Karakol in KGST; the café receives som")
    console.print(f"  KGST on the in-process EVM at {town.rail.kgst_address}; the invoice worker and the bridge run "
                  f"in the API process (payments count at depth {DEPTH})")
    console.print(f"  the tourist buys {_som(2_000 * SOM)} of KGST at an exchange in Bishkek: mint "
                  f"{town.buy_kgst(2_000 * SOM)}")
    before = town.balance_tyiyn(town.cafe_wallet)
    invoice = town.create_invoice(PRICE_TYIYN, "table-7")
    invoice_id = invoice["invoice_id"]
    console.print(f"  [bold]1. The invoice[/bold]: {invoice_id}, {_som(PRICE_TYIYN)} = {invoice['pay_units']} KGST "
                  f"units ({invoice['decimals']} decimals), expires {invoice['expires_at']}")
    console.print(f"    link (and QR code): {invoice['link']}")
    qr = town.client.get(f"/v1/merchant-invoices/{invoice_id}/qr")
    console.print(f"    QR code: {qr.headers['content-type']}, {len(qr.content)} bytes")
    if out_dir is not None:
        (out_dir / "reports").mkdir(parents=True, exist_ok=True)
        (out_dir / "reports" / "cafe_invoice_qr.svg").write_bytes(qr.content)
    tx_hash = town.pay(invoice["pay_address"], int(invoice["pay_units"]))
    console.print(f"  [bold]2. The payment[/bold]: the tourist sends {invoice['pay_units']} units to "
                  f"{invoice['pay_address']} (transaction {tx_hash})")
    seen = town.statuses_until(invoice_id, "settled")
    done = town.invoice(invoice_id)
    (payment,) = done["payments"] or [{}]
    console.print(f"  [bold]3. The confirmation[/bold]: seen at depth {DEPTH} in block {payment.get('block_number')}, "
                  f"payer screened {payment.get('screening')!r}; the payer's page showed {' -> '.join(seen)}")
    sweeps = [m for m in done["moves"] if m["kind"] == "sweep"]
    console.print(f"  [bold]4. The settlement[/bold]: swept by EIP-3009 to the bridge ({len(sweeps)} sweep, "
                  f"{', '.join(m['state'] for m in sweeps)}), burned; {done['reason']}")
    credited = town.balance_tyiyn(town.cafe_wallet) - before
    console.print(f"    café's digital som wallet: +{_som(credited)}")
    # Nothing settled twice: more rounds of the worker and the bridge change nothing.
    town.rail.run_once()
    town.rail.run_once()
    bridge = town._bridge()
    redemptions = [op for op in bridge.operations() if op.kind is Kind.REDEEM]
    store = open_store(town.runtime.db_url)
    try:
        journal = verify(store)
    finally:
        store.close()
    report = bridge.reserve_report()
    checks = {
        "café credited exactly the price": credited == PRICE_TYIYN == town.balance_tyiyn(town.cafe_wallet) - before,
        "invoice settled for the price": done["status"] == "settled" and done["settled_tyiyn"] == str(PRICE_TYIYN),
        "one sweep, one redemption, posted": len(sweeps) == 1 and [op.state for op in redemptions] == [State.POSTED],
        "KGST supply equals its reserve": report.balanced and report.supply_tyiyn == report.reserve_tyiyn,
        "digital som circulation equals issuance": town.runtime.service.issuance_summary().audit.balanced,
        "the ledger's journal verifies": journal.ok,
    }
    for name, held in checks.items():
        console.print(f"    {'[green]ok[/green]' if held else '[red]FAILED[/red]'} {name}")
    return all(checks.values())
