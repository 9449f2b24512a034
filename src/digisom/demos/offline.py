"""The offline chapter of `digisom demo`: a village without signal for a week.

Ayil Bank's customers in a mountain village — a pensioner, a farmer and a teacher —
and the village shop each have a phone wallet. Before the signal goes, the three
villagers move an offline allowance from their digital som wallets to their phones
(the ledger moves it to each device's offline reserve: circulation is unchanged). For a
week they pay each other and the shop by QR code, fully offline. On day 3 someone
copies the farmer's phone; the copy spends the rest of the allowance again at the shop
and with the teacher, while the farmer pays the pensioner with the real phone. When
the signal is back every phone syncs: the honest payments settle into the ledger, the
copy is caught (the same counter used twice, more spent than funded) and revoked, what
the reserve cannot cover is paid under Ayil Bank's guarantee (a claim on the bank),
unspent allowances return to the wallets, and the
books balance: the ledger verifies from its journal and the digital som in wallets,
bank floats and offline reserves equals the National Bank's issuance liability.

The server's clock is simulated (the week passes in a second). The story runs once per
`--data` folder; run again, it shows the books it left.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from rich.console import Console
from rich.table import Table

from digisom.api.offline_wiring import build_offline
from digisom.api.runtime import Runtime
from digisom.cbdc.model import HolderKind, MerchantProfile, ParticipantKind
from digisom.demos.world import DemoWorld
from digisom.kernel.access import Actor, Role
from digisom.ledger.audit import verify
from digisom.money import KGS, Money
from digisom.offline.certificates import TrustStore
from digisom.offline.device import Device
from digisom.offline.device_sync import sync_device
from digisom.offline.errors import OfflineError
from digisom.offline.keys import SoftwareSigner
from digisom.offline.qr import qr_png, qr_version
from digisom.offline.service import OfflineService, SyncOutcome, wall_clock_s
from digisom.stores.url import open_store

AYIL: Final = "AYIL"
SOM: Final = 100
DAY_S: Final = 86_400
CENTRAL_BANK: Final = Actor(Role.CENTRAL_BANK_OPERATOR, "nbkr-operator")
AYIL_OPERATOR: Final = Actor(Role.BANK_OPERATOR, "ayil-ops", AYIL)
VILLAGERS: Final = ("pensioner", "farmer", "teacher")
SHOP: Final = "shop"
ALLOWANCE_TYIYN: Final = 3_000 * SOM
PER_PAYMENT_MAX_TYIYN: Final = 2_000 * SOM
CUMULATIVE_MAX_TYIYN: Final = 10_000 * SOM


class DemoFailed(Exception):
    """A step of the story did not turn out as the story expects."""


@dataclass
class SimulatedClock:
    """The server's clock, moved by the story."""

    now_s: int = field(default_factory=wall_clock_s)

    def __call__(self) -> int:
        return self.now_s


@dataclass
class _Village:
    runtime: Runtime
    offline: OfflineService
    clock: SimulatedClock
    console: Console
    wallets: dict[str, str] = field(default_factory=dict)
    phones: dict[str, Device] = field(default_factory=dict)
    signers: dict[str, SoftwareSigner] = field(default_factory=dict)
    uploaded: dict[str, list[bytes]] = field(default_factory=dict)  # signed sync requests sent
    checks: list[tuple[str, bool]] = field(default_factory=list)

    def check(self, title: str, held: bool) -> None:
        self.checks.append((title, held))
        self.console.print(f"  {'[green]ok[/green]' if held else '[red]FAILED[/red]'}  {title}")


def run_offline_demo(world: DemoWorld, out_dir: Path | None, console: Console) -> bool:
    """Tell the village story; True if every check held (see the module docstring)."""
    console.rule("Offline digital som: a village without signal for a week")
    told = world.told("offline")
    runtime = world.build()
    clock = SimulatedClock()
    offline = build_offline(runtime.service.ctx, clock)
    try:
        village = _Village(runtime, offline.service, clock, console)
        if told:
            console.print(f"  The story was told in {world.data_dir} already; here are the books it left.")
        else:
            _tell(village, out_dir)
            world.mark_told("offline")
        _books(village, runtime)
        return all(held for _, held in village.checks)
    except (DemoFailed, OfflineError) as error:
        console.print(f"[red]demo step failed:[/red] {error}")
        return False
    finally:
        offline.close()
        runtime.close()


def _tell(v: _Village, out_dir: Path | None) -> None:
    cbdc = v.runtime.service
    cbdc.register_participant("ayil-bank", ParticipantKind.COMMERCIAL_BANK, "Ayil Bank", AYIL)
    cbdc.convert(CENTRAL_BANK, "reserve_credit", AYIL, 1_000_000 * SOM, "offline-demo-reserves")
    cbdc.convert(AYIL_OPERATOR, "issue", AYIL, 500_000 * SOM, "offline-demo-issue")
    for holder in (*VILLAGERS, SHOP):
        merchant = MerchantProfile("Village Shop", "Kochkor", "5411") if holder == SHOP else None
        kind = HolderKind.MERCHANT if merchant else HolderKind.INDIVIDUAL
        wallet = cbdc.open_wallet(AYIL_OPERATOR, f"offline-demo-{holder}", holder, kind, 2, holder.title(),
                                  "+996700000001", "1234", merchant)
        v.wallets[holder] = wallet.id
        if holder != SHOP:
            cbdc.credit_deposit(AYIL_OPERATOR, wallet.id, 10_000 * SOM, f"offline-demo-deposit-{holder}")
            cbdc.fund(AYIL_OPERATOR, wallet.id, 8_000 * SOM, f"offline-demo-fund-{holder}")
        v.phones[holder] = _phone(v, holder)
    v.console.print("  Ayil Bank certified four phones; each villager moves 3,000 som offline before the signal goes.")
    for holder in VILLAGERS:
        v.offline.fund(v.wallets[holder], v.phones[holder].device_id, ALLOWANCE_TYIYN, f"offline-demo-{holder}")
        v.phones[holder].fund(ALLOWANCE_TYIYN)
    v.check("funding moved value from wallets to offline reserves; circulation unchanged", _balanced(v))

    pensioner, farmer, teacher, shop = (v.phones[h] for h in (*VILLAGERS, SHOP))
    start_s = v.clock.now_s
    ledger_of_week: list[tuple[str, str, int, str]] = []

    def pay(day: int, payer: str, phone: Device, payee: str, som: int) -> bytes:
        at_s = start_s + day * DAY_S + 3600 * len(ledger_of_week)
        payload = phone.pay(v.phones[payee].device_id, som * SOM, at_s)
        try:
            v.phones[payee].receive(payload, at_s, phone.certificate.encoded)
            outcome = "accepted offline"
        except OfflineError as refused:
            outcome = f"refused offline: {refused.reason.value}"
        ledger_of_week.append((f"day {day}", f"{payer} -> {payee}", som, outcome))
        return payload

    first = pay(1, "pensioner", pensioner, SHOP, 450)
    pay(1, "farmer", farmer, "teacher", 800)
    pay(2, "teacher", teacher, SHOP, 1_200)
    pay(2, "farmer", farmer, SHOP, 900)
    backup = farmer.snapshot()  # day 3: the farmer's phone is copied
    clone = Device.from_state(v.signers["farmer"], backup)
    pay(3, "pensioner", pensioner, "farmer", 300)
    pay(4, "farmer", farmer, "pensioner", 1_000)
    pay(4, "farmer (copy)", clone, SHOP, 800)
    pay(5, "farmer (copy)", clone, "teacher", 500)
    pay(6, "teacher", teacher, "pensioner", 400)
    pay(7, "pensioner", pensioner, SHOP, 650)
    table = Table(title="A week without signal: every payment verified offline by the payee's phone")
    for column in ("when", "who", "som", "payee's phone"):
        table.add_column(column, justify="right" if column == "som" else "left")
    for row in ledger_of_week:
        table.add_row(row[0], row[1], f"{row[2]:,}", row[3])
    v.console.print(table)
    v.console.print(f"  A payment is {len(first)} bytes: one QR code of version {qr_version(first)}.")
    if out_dir is not None:
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "offline-payment.png").write_bytes(qr_png(first))

    v.clock.now_s = start_s + 8 * DAY_S
    v.console.print("  Day 8: the signal is back; every phone syncs.")
    outcomes: list[SyncOutcome] = []
    for holder in (SHOP, "teacher", "pensioner", "farmer"):
        outcomes.extend(_sync(v, holder, return_unspent=holder != SHOP))
    _report_sync(v, outcomes)
    farmer_id = farmer.device_id
    caught = {f.device_key_id for o in outcomes for f in o.result.findings}
    revoked = outcomes[-1].trust.revocations
    v.check("the copied phone was caught (same counter twice, spent beyond its allowance)", caught == {farmer_id})
    v.check("and revoked on the next revocation list", revoked.revokes(farmer_id))
    v.check("the shop was paid for everything its phone accepted",
            _wallet(v, SHOP) == (450 + 1_200 + 900 + 800 + 650) * SOM)
    _sync(v, SHOP, return_unspent=False)
    try:
        another_copy = Device.from_state(v.signers["farmer"], backup)
        shop.receive(another_copy.pay(shop.device_id, 100 * SOM, v.clock.now_s), v.clock.now_s)
        refused = False
    except OfflineError as error:
        refused = error.reason.value == "revoked"
    v.check("after its sync the shop's phone refuses the copy offline", refused)
    resent = [v.offline.sync(request) for requests in v.uploaded.values() for request in requests]
    v.check("re-uploading everything pays nothing twice", sum(o.paid_tyiyn for o in resent) == 0)


def _phone(v: _Village, holder: str) -> Device:
    """A phone with a fresh key, certified by Ayil Bank for the holder's wallet."""
    signer = v.signers[holder] = SoftwareSigner.generate()
    cert = v.offline.register_device(AYIL, v.wallets[holder], signer.public_key, PER_PAYMENT_MAX_TYIYN,
                                     CUMULATIVE_MAX_TYIYN)
    trust = v.offline.trust()
    now_s = v.clock.now_s
    store = TrustStore.create(trust.root, trust.revocations, now_s).with_sync(trust.banks, trust.revocations, now_s)
    return Device.provision(signer, cert, store, now_s)


def _sync(v: _Village, holder: str, return_unspent: bool) -> list[SyncOutcome]:
    """Upload the phone's payments in signed requests, then install the trust material."""

    def send(request: bytes) -> SyncOutcome:
        v.uploaded.setdefault(holder, []).append(request)
        return v.offline.sync(request)

    return sync_device(v.phones[holder], v.signers[holder], v.clock.now_s, return_unspent, send)


def _report_sync(v: _Village, outcomes: list[SyncOutcome]) -> None:
    names = {phone.device_id: holder for holder, phone in v.phones.items()}
    table = Table(title="Day 8: sync and settlement into the ledger")
    for column in ("run", "decided", "paid (som)", "of which guaranteed", "returned to wallets", "caught"):
        table.add_column(column, justify="left" if column == "caught" else "right")
    for o in outcomes:
        caught = ", ".join(sorted({f"{names.get(f.device_key_id, '?')}: {f.fraud.value}" for f in o.result.findings}))
        table.add_row(str(o.run_id), str(o.decided), _som(o.paid_tyiyn), _som(o.guaranteed_tyiyn),
                      _som(sum(o.returned_tyiyn.values())), caught or "-")
    v.console.print(table)


def _books(v: _Village, runtime: Runtime) -> None:
    """The ledger verified from its journal, and the digital som adds up."""
    store = open_store(runtime.db_url)
    try:
        report = verify(store)
    finally:
        store.close()
    v.console.print(f"  Ledger verification: {report.batches} batches, {report.accounts} accounts, "
                    f"{report.transfers} transfers — {'no discrepancy' if report.ok else report.discrepancy}")
    v.check("the ledger verifies from its journal", report.ok)
    v.check("wallets + bank floats + offline reserves = the National Bank's issuance liability", _balanced(v))


def _balanced(v: _Village) -> bool:
    """The money auditor's verdict (the issuance summary counts offline reserves too)."""
    summary = v.runtime.service.issuance_summary()
    held = summary.audit.by_code_tyiyn
    table = Table(title="Where the digital som is")
    for column in (*held, "total", "issuance liability"):
        table.add_column(column.replace("_", " "), justify="right")
    table.add_row(*(_som(tyiyn) for tyiyn in held.values()), _som(summary.circulation_tyiyn),
                  _som(summary.issuance_liability_tyiyn))
    v.console.print(table)
    return summary.balanced


def _wallet(v: _Village, holder: str) -> int:
    return v.runtime.service.wallet(CENTRAL_BANK, v.wallets[holder]).balance_tyiyn


def _som(tyiyn: int) -> str:
    return Money(tyiyn, KGS).format()
