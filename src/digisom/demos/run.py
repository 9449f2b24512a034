"""`digisom demo`: the digisom story on the embedded default (SQLite, in-process EVM).

Chapters, all in one world: the database in `--data DIR` (or a temporary folder) that
`digisom serve --data DIR` then serves (digisom.demos.world; the raw-ledger and interbank
chapters keep their own databases beside it, docs/demo.md says why): the
ledger itself, the digital som through the HTTP API, government payments (a pension run,
a school grant spent and expired, a tax payment), interbank settlement in ISO 20022,
offline payments in a village, KGST on the in-process EVM, USDKG (the gold-backed dollar)
minted on two in-process chains under its coverage gate, and a remittance from Moscow to
Naryn (rails 1 and 2, a sanctioned sender stopped), and the State Register of Digital
Assets (a licensed exchange's signed volume report, its proof of reserves checked by a
customer and the regulator, a second exchange flagged short), and a tourist paying a café
in Karakol in KGST while the café receives som. The demo exits non-zero
if any chapter's closing check fails.

The ledger chapter: the central bank issues digital som to two commercial banks, the banks fund their
customers' wallets, customers pay each other, one two-phase hold is posted and one
times out, one payment is refused for insufficient funds; then the balances and an
independent verification. Ids are fixed, so a second run on the same `--data` folder
is answered idempotently (`exists`), never paid twice.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from rich.console import Console
from rich.table import Table

from digisom.ledger.audit import verify
from digisom.ledger.jsonio import account_json, transfer_json
from digisom.ledger.model import AMOUNT_MAX, Account, AccountFilter, AccountFlags, Transfer, TransferFlags
from digisom.ledger.results import CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.money import KGS, Money
from digisom.stores.url import open_store

if TYPE_CHECKING:  # the API's modules load with the chapters (see _chapters)
    from digisom.demos.world import DemoWorld

KGS_LEDGER: Final = KGS.numeric
# Account codes (the account's type within the ledger).
CODE_ISSUANCE: Final = 1
CODE_BANK_FLOAT: Final = 2
CODE_WALLET: Final = 3
# Transfer codes.
CODE_ISSUE: Final = 10
CODE_FUND: Final = 11
CODE_PAYMENT: Final = 12
HOLD_TIMEOUT_S: Final = 1


@dataclass(frozen=True, slots=True)
class Party:
    """A demo account: its id, its holder and what it is."""

    id: int
    name: str
    code: int


CENTRAL_BANK = Party(1, "National Bank (issuer)", CODE_ISSUANCE)
AYIL_BANK = Party(101, "Ayil Bank float", CODE_BANK_FLOAT)
BAKAI_BANK = Party(102, "Bakai Bank float", CODE_BANK_FLOAT)
PENSIONER = Party(1001, "pensioner, Naryn", CODE_WALLET)
MERCHANT = Party(1002, "grocery, Naryn", CODE_WALLET)
TEACHER = Party(2001, "teacher, Osh", CODE_WALLET)
FARMER = Party(2002, "farmer, Talas", CODE_WALLET)
PARTIES: Final = (CENTRAL_BANK, AYIL_BANK, BAKAI_BANK, PENSIONER, MERCHANT, TEACHER, FARMER)


def _som(amount: str) -> int:
    return Money.parse(amount, KGS).amount_minor


def _transfer(tid: int, debit: Party, credit: Party, amount_som: str, code: int, flags: int = 0,
              timeout_s: int = 0) -> Transfer:
    return Transfer(tid, debit.id, credit.id, _som(amount_som), KGS_LEDGER, code, flags, timeout_s=timeout_s)


class _Story:
    """Runs the steps, narrating each with its ledger results."""

    def __init__(self, ledger: Ledger, console: Console) -> None:
        self.ledger = ledger
        self.console = console
        self.log: list[dict[str, object]] = []

    def step(self, title: str, transfers: Sequence[Transfer]) -> list[CreateTransferResult]:
        results = self.ledger.create_transfers(transfers)
        self.console.print(f"[bold]{title}[/bold]")
        for transfer, result in zip(transfers, results, strict=True):
            colour = "green" if result.name in ("ok", "exists") else "red"
            amount = Money(transfer.amount, KGS) if transfer.amount != AMOUNT_MAX else "the whole hold"
            self.console.print(f"  transfer {transfer.id}: {amount} -> [{colour}]{result.name}[/{colour}]")
            self.log.append({"step": title, "transfer_id": str(transfer.id), "result": result.name})
        return results


Chapter = Callable[["DemoWorld", Path | None, Console], bool]


def _chapters() -> list[tuple[str, Chapter]]:
    # Imported here: the EVM and the API pull in heavy modules that the ledger's
    # machine interface (the same `digisom` command) should not pay for at start-up.
    # Starlette's test client warns about its httpx transport on import; the demo drives
    # the API in process on purpose, so the warning is noise to an operator.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient` is deprecated")
    from digisom.demos.cbdc import run_cbdc_demo  # noqa: PLC0415
    from digisom.demos.government import run_government_demo  # noqa: PLC0415
    from digisom.demos.interbank import run_interbank_demo  # noqa: PLC0415
    from digisom.demos.kgst import run_kgst_demo  # noqa: PLC0415
    from digisom.demos.merchants import run_merchants_demo  # noqa: PLC0415
    from digisom.demos.offline import run_offline_demo  # noqa: PLC0415
    from digisom.demos.public_records import run_public_records_demo  # noqa: PLC0415
    from digisom.demos.register import run_register_demo  # noqa: PLC0415
    from digisom.demos.remittance import run_remittance_demo  # noqa: PLC0415
    from digisom.demos.reserve import run_reserve_demo  # noqa: PLC0415
    from digisom.demos.usdkg import run_usdkg_demo  # noqa: PLC0415

    return [
        ("ledger", run_ledger_demo),
        ("digital som", run_cbdc_demo),
        ("government payments", run_government_demo),
        ("interbank", run_interbank_demo),
        ("offline", run_offline_demo),
        ("KGST", run_kgst_demo),
        ("USDKG", run_usdkg_demo),
        ("remittances", run_remittance_demo),
        ("register and reserves", run_register_demo),
        ("national crypto reserve", run_reserve_demo),
        ("merchants", run_merchants_demo),
        ("public records", run_public_records_demo),
    ]


def run_demo(data_dir: Path | None, out_dir: Path | None, console: Console | None = None) -> bool:
    """Run every chapter in one world (`data_dir`, or a temporary folder); True when each
    chapter's closing check held. `digisom serve --data DIR` then serves that world."""
    from digisom.demos.world import open_world  # noqa: PLC0415  (the API's modules: see _chapters)

    console = console or Console()
    with open_world(data_dir) as world:
        outcomes = {name: chapter(world, out_dir, console) for name, chapter in _chapters()}
    console.rule("digisom demo: summary")
    for name, passed in outcomes.items():
        console.print(f"  {name}: " + ("[green]checks passed[/green]" if passed else "[red]FAILED[/red]"))
    if data_dir is not None:
        console.print(f"The demo's world is in {data_dir}: `digisom serve --data {data_dir}` serves it.")
    return all(outcomes.values())


def run_ledger_demo(world: DemoWorld, out_dir: Path | None, console: Console) -> bool:
    """The ledger chapter; returns True when the closing verification passes. Its accounts
    are the raw engine's own chart (codes 1 to 3, ids 1 to 2002), not the digital som's:
    they keep their own database in the world's folder, apart from what `serve` serves."""
    folder = world.folder("ledger")
    store = open_store(f"sqlite:///{folder / 'ledger.db'}")
    try:
        return _tell(Ledger(store), console, folder, out_dir)
    finally:
        store.close()


def _tell(ledger: Ledger, console: Console, folder: Path, out_dir: Path | None) -> bool:
    console.rule("digisom: the digital som ledger")
    console.print(f"Embedded default: SQLite at {folder / 'ledger.db'}")
    limited = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
    accounts = [
        Account(p.id, KGS_LEDGER, p.code, 0 if p is CENTRAL_BANK else limited | AccountFlags.HISTORY)
        for p in PARTIES
    ]
    created = ledger.create_accounts(accounts)
    console.print(f"Opened {len(accounts)} accounts: {', '.join(sorted({r.name for r in created}))}")

    story = _Story(ledger, console)
    story.step("1. The National Bank issues digital som to two commercial banks", [
        _transfer(10, CENTRAL_BANK, AYIL_BANK, "1000000.00", CODE_ISSUE),
        _transfer(11, CENTRAL_BANK, BAKAI_BANK, "500000.00", CODE_ISSUE),
    ])
    story.step("2. The banks fund their customers' wallets", [
        _transfer(20, AYIL_BANK, PENSIONER, "20000.00", CODE_FUND),
        _transfer(21, AYIL_BANK, MERCHANT, "5000.00", CODE_FUND),
        _transfer(22, BAKAI_BANK, TEACHER, "15000.00", CODE_FUND),
        _transfer(23, BAKAI_BANK, FARMER, "8000.00", CODE_FUND),
    ])
    story.step("3. Customers pay each other (across banks, in one linked chain)", [
        _transfer(30, TEACHER, FARMER, "1200.00", CODE_PAYMENT, TransferFlags.LINKED),
        _transfer(31, PENSIONER, MERCHANT, "350.50", CODE_PAYMENT),
    ])
    story.step("4. The farmer's card hold at the grocery (two-phase): placed, then posted for less", [
        _transfer(40, FARMER, MERCHANT, "2000.00", CODE_PAYMENT, TransferFlags.PENDING, timeout_s=3600),
        Transfer(41, 0, 0, _som("1850.00"), 0, 0, TransferFlags.POST_PENDING_TRANSFER, pending_id=40),
    ])
    story.step(f"5. The teacher's hold at the grocery, with a {HOLD_TIMEOUT_S} s timeout", [
        _transfer(50, TEACHER, MERCHANT, "500.00", CODE_PAYMENT, TransferFlags.PENDING, timeout_s=HOLD_TIMEOUT_S),
    ])
    time.sleep(HOLD_TIMEOUT_S + 0.2)
    expired = ledger.expire_pending()
    console.print(f"  ...{HOLD_TIMEOUT_S} s later the hold times out: {expired} hold(s) released")
    story.step("6. The pensioner tries to pay more than the wallet holds", [
        _transfer(60, PENSIONER, MERCHANT, "50000.00", CODE_PAYMENT),
    ])

    found = {a.id: a for a in ledger.lookup_accounts([p.id for p in PARTIES])}
    table = Table(title="Balances, som (KGS)")
    for column in ("account", "holder", "debits", "credits", "held", "balance"):
        table.add_column(column, justify="left" if column == "holder" else "right")
    for party in PARTIES:
        a = found[party.id]
        pending = a.credits_pending - a.debits_pending
        table.add_row(
            str(a.id), party.name, Money(a.debits_posted, KGS).major_units(),
            Money(a.credits_posted, KGS).major_units(), Money(pending, KGS).major_units(),
            Money(a.credits_posted - a.debits_posted, KGS).major_units(),
        )
    console.print(table)
    circulation = sum(found[p.id].credits_posted - found[p.id].debits_posted for p in PARTIES if p is not CENTRAL_BANK)
    issued = found[CENTRAL_BANK.id].debits_posted - found[CENTRAL_BANK.id].credits_posted
    console.print(f"Digital som in circulation: {Money(circulation, KGS)}; issued by the National Bank: "
                  f"{Money(issued, KGS)}")

    report = verify(ledger.store)
    if report.ok:
        console.print(f"[bold green]Verification passed[/bold green]: {report.batches} journal batches, "
                      f"{report.accounts} accounts, {report.transfers} transfers recomputed from the hash-chained "
                      "journal; debits equal credits; no account flag broken.")
    else:
        console.print(f"[bold red]Verification FAILED[/bold red]: {report.discrepancy}")
    if out_dir is not None:
        _write_outputs(ledger, out_dir, story.log, report.ok, report.discrepancy)
        console.print(f"Wrote the demo's reports into {out_dir}")
    return report.ok and circulation == issued


def _write_outputs(ledger: Ledger, out_dir: Path, log: list[dict[str, object]], ok: bool,
                   discrepancy: str | None) -> None:
    reports = out_dir / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    accounts = ledger.lookup_accounts([p.id for p in PARTIES])
    (reports / "balances.json").write_text(json.dumps([account_json(a) for a in accounts], indent=2) + "\n")
    (reports / "steps.json").write_text(json.dumps(log, indent=2) + "\n")
    transfers = []
    for party in PARTIES:
        transfers += ledger.get_account_transfers(AccountFilter(party.id, credits=False))
    lines = [json.dumps(transfer_json(t)) for t in sorted(transfers, key=lambda t: t.timestamp)]
    (reports / "transfers.jsonl").write_text("\n".join(lines) + "\n")
    (reports / "verification.json").write_text(json.dumps({"ok": ok, "discrepancy": discrepancy}) + "\n")
