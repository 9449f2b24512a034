"""The KGST chapter of `digisom demo`, on the embedded in-process EVM.

A pensioner converts digital som into KGST (the issuer's bridge holds her som in the
KGST reserve, mints on-chain, and posts on confirmation); she pays a trader in KGST
on-chain; the trader redeems part of it (sends KGST to the issuer's redemption address;
the bridge sees it, burns it and releases digital som into his wallet). Supply and
reserve are shown after every step, then KGST's entry in the State Register of Digital
Assets.

The in-process chain starts empty on every run and its keys are made fresh (no value
ever leaves this process), so the chapter is told once per world: a second run on the same
`--data` folder shows the books the first one left and checks them (digisom.demos.world).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Final

from rich.console import Console
from rich.table import Table

from digisom.api.screening_wiring import build_desk
from digisom.api.stablecoin_wiring import BridgeAddressScreener, BridgeWalletDirectory
from digisom.cbdc import accounts as cbdc_accounts
from digisom.cbdc.model import HolderKind, ParticipantKind
from digisom.cbdc.service import CbdcService
from digisom.chain.contracts import kgst_artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.chain.keys import generate_key
from digisom.chain.kgst import KgstGateway, KgstRoles, deploy_kgst
from digisom.chain.transactor import Transactor
from digisom.demos.world import DemoWorld
from digisom.kernel.access import Actor, Role
from digisom.ledger.service import Ledger
from digisom.money import KGS, Money
from digisom.registry import register
from digisom.registry.assets import AssetRegister
from digisom.registry.known_assets import kgst_application
from digisom.stablecoin import migrations
from digisom.stablecoin.bridge import Bridge
from digisom.stablecoin.model import Kind, ReserveReport
from digisom.stablecoin.repository import CursorRepository, token_key
from digisom.stores.url import open_store

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

BNB_CHAIN_ID: Final = 56
KGST_DECIMALS: Final = 2
CONFIRMATIONS: Final = 1  # the in-process chain has no reorgs; a real one gets more (docs/stablecoin.md)
BANK: Final = "AYIL"
SOM: Final = 100
# The demo issuer's white paper (its SHA-256 is what the register keeps) and licence.
KGST_WHITE_PAPER_SHA256: Final = hashlib.sha256(b"KGST white paper, demo edition").hexdigest()
KGST_ISSUER_LICENCE: Final = "KG-VAI-2026-0001"


def _som(tyiyn: int) -> str:
    return Money(tyiyn, KGS).format()


def _kgst(tyiyn: int) -> str:
    """A KGST amount, shown in som (1 KGST = 1 som)."""
    return f"{Money(tyiyn, KGS).major_units()} KGST"


def _digital_som(service: CbdcService) -> dict[str, str]:
    """A bank, reserves, digital som, and two funded wallets (idempotent keys)."""
    central_bank = Actor(Role.CENTRAL_BANK_OPERATOR, "kgst-demo")
    bank = Actor(Role.BANK_OPERATOR, "kgst-demo", BANK)
    service.register_participant("ayil-bank", ParticipantKind.COMMERCIAL_BANK, "Ayil Bank", BANK)
    service.convert(central_bank, "reserve_credit", BANK, 1_000_000 * SOM, "kgst-demo-reserves")
    service.convert(bank, "issue", BANK, 500_000 * SOM, "kgst-demo-issue")
    wallets = {}
    for holder, name in (("pensioner", "Gulnara Sydykova"), ("merchant", "Bakyt Asanov, trader")):
        wallet = service.open_wallet(bank, f"kgst-demo-wallet-{holder}", holder, HolderKind.INDIVIDUAL, 2, name,
                                     "+996555010203", "2580", None)
        service.credit_deposit(bank, wallet.id, 20_000 * SOM, f"kgst-demo-deposit-{holder}")
        service.fund(bank, wallet.id, 10_000 * SOM, f"kgst-demo-fund-{holder}")
        wallets[holder] = wallet.id
    return wallets


def run_kgst_demo(world: DemoWorld, out_dir: Path | None, console: Console | None = None) -> bool:
    """Tell the KGST story; True when supply equalled the reserve, and circulation the
    issuance, after every step. Told once per world: its in-process chain is new on every
    run, so the bridge's books and the register's KGST contract are about the first one
    (and the register rightly refuses a second KGST contract on the same chain)."""
    console = console or Console()
    if world.told("kgst"):
        console.rule("KGST: the som stablecoin on BNB Chain, bridged to the digital som")
        return world.retell("kgst", console)
    runtime = world.build()
    store = open_store(runtime.db_url)
    try:
        told = _tell(runtime.service, Ledger(store), console, out_dir, AssetRegister.on(
            runtime.service.ctx.engine, runtime.issuer.key, runtime.service.ctx.clock))
    finally:
        store.close()
        runtime.close()
    world.mark_told("kgst")
    return told


def _tell(service: CbdcService, ledger: Ledger, console: Console, out_dir: Path | None,
          assets: AssetRegister) -> bool:
    console.rule("KGST: the som stablecoin on BNB Chain, bridged to the digital som")
    engine = service.ctx.engine
    migrations.migrate(engine)
    register.ensure_schema(engine)
    wallets = _digital_som(service)
    keys: dict[str, LocalAccount] = {role: generate_key() for role in ("owner", "master_minter", "issuer",
                                                                       "pensioner", "merchant")}
    chain = EmbeddedChain(BNB_CHAIN_ID)
    artifact = kgst_artifact()
    owner = keys["owner"].address
    deployment = deploy_kgst(Transactor(chain, keys["owner"]), artifact, "KGST Kyrgyz Som", "KGST", KGST_DECIMALS,
                             KgstRoles(owner, keys["master_minter"].address, owner, owner, owner))
    gateway = KgstGateway(chain, artifact.abi, deployment.address, Transactor(chain, keys["issuer"]),
                          Transactor(chain, keys["master_minter"]))
    cursor = CursorRepository(engine, token_key(deployment.chain_id, deployment.address))
    feed = gateway.redemptions(cursor, CONFIRMATIONS, deployment.block_number)
    # No list is loaded in this chapter: the desk records each address `clear` under `no_list_loaded`.
    screening = BridgeAddressScreener(build_desk(engine, []), senders_screened_upstream=False)
    bridge = Bridge(engine, ledger, gateway, BridgeWalletDirectory(service.ctx), feed, CONFIRMATIONS,
                    screening=screening)
    console.print(f"KGST deployed on the in-process EVM (chain id {deployment.chain_id}) at {deployment.address}; "
                  f"{gateway.decimals()} decimals, read from the contract")
    reports: list[tuple[str, ReserveReport]] = []
    # The money auditor's verdict after each step: the KGST reserve is digital som too.
    invariant: list[bool] = []

    def step(title: str, action: Callable[[], str]) -> None:
        said = action()
        report = bridge.process()
        reports.append((title, report))
        audit = service.issuance_summary().audit
        invariant.append(audit.balanced)
        mark = "[green]=[/green]" if report.balanced and report.supply_tyiyn == report.reserve_tyiyn else "[red]![/red]"
        console.print(f"  [bold]{title}[/bold]: {said}\n    totalSupply {_kgst(report.supply_tyiyn or 0)} "
                      f"{mark} reserve {_som(report.reserve_tyiyn)}; digital som held {_som(audit.circulation_tyiyn)} "
                      f"{'=' if audit.balanced else '!='} issued {_som(audit.issued_tyiyn)}")

    def mint() -> str:
        op = bridge.request_mint(f"demo-{deployment.address}", wallets["pensioner"], keys["pensioner"].address,
                                 2_500 * SOM)
        return f"the pensioner converts {_som(op.amount_tyiyn)} of digital som into KGST: mint {op.state.value}"

    def pay() -> str:
        data = artifact.abi.fn("transfer").encode(keys["merchant"].address, 1_000 * SOM)
        Transactor(chain, keys["pensioner"]).send(deployment.address, data)
        return f"she pays the trader {_kgst(1_000 * SOM)} on-chain (an ERC-20 transfer, no bank involved)"

    def redeem() -> str:
        bridge.link_address(wallets["merchant"], keys["merchant"].address)
        data = artifact.abi.fn("transfer").encode(gateway.redemption_address, 600 * SOM)
        Transactor(chain, keys["merchant"]).send(deployment.address, data)
        bridge.process()
        done = [op for op in bridge.operations() if op.kind is Kind.REDEEM]
        return (f"the trader sends {_kgst(600 * SOM)} to the redemption address; burned, reserve released into "
                f"his digital som wallet: redemption {done[-1].state.value}")

    step("1. Digital som to KGST", mint)
    step("2. KGST on-chain", pay)
    step("3. KGST back to digital som", redeem)
    _balances(console, gateway, keys, service, wallets)
    # The bridge registers its deployment through the signed register (a registrar's event), not a constant.
    assets.ensure_registered(kgst_application(deployment.chain_id, deployment.address, gateway.decimals(),
                                              KGST_WHITE_PAPER_SHA256, KGST_ISSUER_LICENCE),
                             "registrar:-:demo-registrar", "KGST bridge deployed; reserve in digital som")
    (entry,) = [e for e in register.entries(engine) if e.symbol == "KGST"]
    console.print("State Register of Digital Assets, KGST's entry:")
    console.print_json(json.dumps(entry.public()))
    ok = all(r.balanced and r.supply_tyiyn == r.reserve_tyiyn for _t, r in reports) and all(invariant)
    if out_dir is not None:
        reports_dir = out_dir / "reports"
        reports_dir.mkdir(parents=True, exist_ok=True)
        lines = [{"step": title, "balanced": report.balanced, **asdict(report)} for title, report in reports]
        (reports_dir / "kgst_reserve.json").write_text(json.dumps(lines, indent=2) + "\n")
        (reports_dir / "kgst_register_entry.json").write_text(json.dumps(entry.public(), indent=2) + "\n")
    verdict = "[bold green]supply equalled the reserve and circulation the issuance after every step[/bold green]" \
        if ok else "[bold red]supply and reserve, or circulation and issuance, disagreed[/bold red]"
    console.print(verdict)
    return ok


def _balances(console: Console, gateway: KgstGateway, keys: dict[str, LocalAccount], service: CbdcService,
              wallets: dict[str, str]) -> None:
    table = Table(title="Holders")
    for column in ("holder", "KGST on-chain", "digital som wallet"):
        table.add_column(column, justify="left" if column == "holder" else "right")
    for holder in ("pensioner", "merchant"):
        account = service.ctx.ledger.account(cbdc_accounts.wallet_account_id(wallets[holder]))
        table.add_row(holder, _kgst(gateway.balance_of(keys[holder].address)),
                      _som(cbdc_accounts.balance_tyiyn(account)))
    console.print(table)
