"""The remittance chapter of `digisom demo`: a migrant worker in Moscow sends 15,000
roubles home; he sees the quote first (the reference rate, the rate applied, every fee and
the all-in cost by the World Bank's method); his mother in Naryn receives som in her
digital som wallet (rail 1, the partner's prefunded position). Then rail 2 on the
in-process EVM: KGST sent from his own address, linked to her wallet, is screened and
redeemed into it; KGST from an address on a synthetic sanctions list (an A7A5-linked
wallet, made up for the demo: never real data) is stopped and stays at the redemption
address. Every figure printed is read from the services.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Final

from rich.console import Console

from digisom.api.remittance_chain_wiring import link_inbound_address, onchain_rail, screened_redemptions
from digisom.api.remittance_wiring import CbdcBankFloats, CbdcPayees
from digisom.api.screening_wiring import RemittanceScreener, build_desk
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
from digisom.kernel.clock import utc_now
from digisom.ledger.service import Ledger
from digisom.money import KGS, Money
from digisom.remittance import migrations as remittance_migrations
from digisom.remittance.model import Corridor, PartnerKind
from digisom.remittance.onchain import InboundStatus, OnchainRail
from digisom.remittance.rates import FileRates
from digisom.remittance.service import RemittanceService, SendRequest
from digisom.stablecoin import migrations as stablecoin_migrations
from digisom.stablecoin.bridge import Bridge
from digisom.stablecoin.repository import CursorRepository, token_key
from digisom.stores.url import open_store

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

BNB_CHAIN_ID: Final = 56
KGST_DECIMALS: Final = 2
CONFIRMATIONS: Final = 1  # the in-process chain has no reorgs
BANK: Final = "AYIL"
SOM: Final = 100
PARTNER: Final = "zolotaya-demo"
SEND_RUB_KOPECKS: Final = 15_000 * 100
# Illustrative figures for the demo (an operator loads the National Bank's file).
RUB_RATE: Final = "1.0895"
USD_RATE: Final = "87.4500"  # the travel-rule threshold is in USD
CORRIDOR: Final = Corridor("zolotaya-demo-rub", PARTNER, "RUB", 0, 30, 50, 300_000_00, 1_000_000_00)
KGST_REMIT_TYIYN: Final = 1_000 * SOM
A7A5_TYIYN: Final = 500 * SOM


def _som(tyiyn: int) -> str:
    return Money(tyiyn, KGS).format()


def _kgst(token_units: int) -> str:
    """KGST has 2 decimals here: its units are tyiyn (1 KGST = 1 som); never through a float."""
    return f"{Money(token_units, KGS).major_units()} KGST"


def _rub(kopecks: int) -> str:
    return f"{kopecks // 100:,}.{kopecks % 100:02d} RUB"


def _rate(e6: int) -> str:
    return f"{e6 // 10**6}.{e6 % 10**6:06d}"


def run_remittance_demo(world: DemoWorld, out_dir: Path | None, console: Console | None = None) -> bool:
    """Tell the remittance story; True when the mother received what the quote promised
    and the A7A5-linked transfer was stopped. Told once per world: its KGST chain is new on
    every run, and the rail's books are about the first one."""
    console = console or Console()
    if world.told("remittance"):
        console.rule("Remittances: roubles to som in one conversion, every party screened")
        return world.retell("remittance", console)
    with tempfile.TemporaryDirectory(prefix="digisom-remit-") as scratch:
        runtime = world.build()
        store = open_store(runtime.db_url)
        try:
            told = _tell(runtime.service, Ledger(store), Path(scratch), console, out_dir)
        finally:
            store.close()
            runtime.close()
    world.mark_told("remittance")
    return told


def _tell(service: CbdcService, ledger: Ledger, scratch: Path, console: Console, out_dir: Path | None) -> bool:
    console.rule("Remittances: roubles to som in one conversion, every party screened")
    engine = service.ctx.engine
    remittance_migrations.migrate(engine)
    stablecoin_migrations.migrate(engine)
    mother, migrant_wallet = _wallets(service)
    rates_file = scratch / "rates.csv"
    rates_file.write_text(f"date,currency,rate\n{utc_now().date().isoformat()},RUB,{RUB_RATE}\n"
                          f"{utc_now().date().isoformat()},USD,{USD_RATE}\n")
    keys = {role: generate_key() for role in ("owner", "master_minter", "issuer", "migrant", "a7a5")}
    sanctions_file = scratch / "synthetic-sanctions.ftm.json"
    sanctions_file.write_text(json.dumps({
        "id": "synthetic-a7a5-wallet", "schema": "CryptoWallet",
        "properties": {"publicKey": [keys["a7a5"].address], "currency": ["A7A5"],
                       "notes": ["synthetic demo entry, not real data"]}}) + "\n", encoding="utf-8")
    desk = build_desk(engine, [sanctions_file])
    screener = RemittanceScreener(desk)
    remit = RemittanceService(engine, ledger, FileRates.from_path(rates_file), screener, CbdcPayees(service.ctx),
                              CbdcBankFloats())
    remit.onboard_partner(PARTNER, "Zolotaya MTO (Moscow)", PartnerKind.MONEY_TRANSFER_OPERATOR, "RU", BANK,
                          50_000_000 * SOM)
    remit.configure_corridor(CORRIDOR)
    remit.prefund(PARTNER, "remit-demo-prefund", 1_000_000 * SOM)

    quote = remit.quote(PARTNER, "RUB", SEND_RUB_KOPECKS)
    console.print("[bold]1. The quote, before sending[/bold] (Moscow, a money-transfer operator)")
    console.print(f"  sends {_rub(quote.send_minor)}; reference rate {_rate(quote.reference_e6)} som/RUB "
                  f"({quote.rate_date}), applied {_rate(quote.applied_e6)}")
    console.print(f"  fees: fixed {_rub(quote.fee_fixed_minor)}, percentage {_rub(quote.fee_pct_minor)}, "
                  f"FX margin {_rub(quote.fx_margin_minor)}; pays {_rub(quote.pay_minor)} in all")
    console.print(f"  arrives {_som(quote.receive_tyiyn)}; all-in cost {quote.all_in_cost_ppm / 10_000:.2f}% "
                  f"(World Bank RPW; SDG 10.c target 3%)")
    before = _balance(service, mother)
    sent = remit.send(SendRequest(PARTNER, "remit-demo-1", quote.quote_id, "migrant-moscow-1",
                                  "Aibek Sydykov", "Gulnara Sydykova", recipient_wallet_id=mother))
    received = _balance(service, mother) - before
    console.print(f"[bold]2. Paid[/bold]: remittance {sent.status.value}; the mother's wallet in Naryn "
                  f"+{_som(received)} (to wallet {_som(sent.to_wallet_tyiyn)}, to her deposit "
                  f"{_som(sent.waterfall_tyiyn)})")

    kgst = _Kgst(service, ledger, keys, onchain_rail(engine, desk),
                 BridgeAddressScreener(desk, senders_screened_upstream=True))
    bridge, rail, key, redemption = kgst.bridge, kgst.rail, kgst.key, kgst.gateway.redemption_address
    bridge.request_mint("remit-demo-mint", migrant_wallet, keys["migrant"].address, KGST_REMIT_TYIYN + A7A5_TYIYN)
    link_inbound_address(bridge, rail, mother, keys["migrant"].address)
    link_inbound_address(bridge, rail, mother, keys["a7a5"].address)
    kgst.send("migrant", keys["a7a5"].address, A7A5_TYIYN)  # the listed address gets tokens
    before = _balance(service, mother)
    kgst.send("migrant", redemption, KGST_REMIT_TYIYN)
    kgst.send("a7a5", redemption, A7A5_TYIYN)
    bridge.process()
    via_kgst = _balance(service, mother) - before
    inbound = {i.sender: i for i in rail.inbounds(key)}
    clean, listed = inbound[keys["migrant"].address], inbound[keys["a7a5"].address]
    console.print(f"[bold]3. KGST on-chain[/bold]: {_kgst(clean.amount_token_units)} from the migrant's "
                  f"address: {clean.decision.value}, {clean.status.value}; the mother's wallet +{_som(via_kgst)}")
    console.print(f"[bold]4. Stopped[/bold]: {_kgst(listed.amount_token_units)} from an A7A5-linked "
                  f"address (synthetic list): {listed.decision.value}, {listed.status.value} ({listed.reason})")
    console.print(f"   left at the redemption address: {_kgst(kgst.gateway.balance_of(redemption))}")
    report = bridge.process()
    ok = (sent.status.value == "paid" and received == quote.receive_tyiyn and via_kgst == KGST_REMIT_TYIYN
          and listed.status is InboundStatus.STOPPED and report.balanced)
    if out_dir is not None:
        (out_dir / "reports").mkdir(parents=True, exist_ok=True)
        (out_dir / "reports" / "remittance.json").write_text(json.dumps({
            "quote_id": quote.quote_id, "receive_tyiyn": quote.receive_tyiyn, "all_in_cost_ppm": quote.all_in_cost_ppm,
            "received_tyiyn": received, "kgst_redeemed_tyiyn": via_kgst, "stopped": listed.inbound_id}, indent=2))
    console.print("[bold green]the mother received what the quote promised; the listed sender was stopped[/bold green]"
                  if ok else "[bold red]the remittance story did not add up[/bold red]")
    return ok


def _wallets(service: CbdcService) -> tuple[str, str]:
    central_bank = Actor(Role.CENTRAL_BANK_OPERATOR, "remit-demo")
    bank = Actor(Role.BANK_OPERATOR, "remit-demo", BANK)
    service.register_participant("ayil-bank", ParticipantKind.COMMERCIAL_BANK, "Ayil Bank", BANK)
    service.convert(central_bank, "reserve_credit", BANK, 5_000_000 * SOM, "remit-demo-reserves")
    service.convert(bank, "issue", BANK, 3_000_000 * SOM, "remit-demo-issue")
    ids = []
    for holder, name in (("mother", "Gulnara Sydykova, Naryn"), ("migrant", "Aibek Sydykov")):
        wallet = service.open_wallet(bank, f"remit-demo-wallet-{holder}", holder, HolderKind.INDIVIDUAL, 2, name,
                                     "+996555010204", "2580", None)
        ids.append(wallet.id)
    service.credit_deposit(bank, ids[1], 20_000 * SOM, "remit-demo-deposit-migrant")
    service.fund(bank, ids[1], 5_000 * SOM, "remit-demo-fund-migrant")
    return ids[0], ids[1]


def _balance(service: CbdcService, wallet_id: str) -> int:
    return cbdc_accounts.balance_tyiyn(service.ctx.ledger.account(cbdc_accounts.wallet_account_id(wallet_id)))


class _Kgst:
    """KGST on a fresh in-process EVM, its bridge fed through rail 2's screening."""

    def __init__(self, service: CbdcService, ledger: Ledger, keys: dict[str, LocalAccount], rail: OnchainRail,
                 screening: BridgeAddressScreener) -> None:
        self.chain = EmbeddedChain(BNB_CHAIN_ID)
        self.artifact = kgst_artifact()
        self.keys = keys
        owner = keys["owner"].address
        self.deployment = deploy_kgst(Transactor(self.chain, keys["owner"]), self.artifact, "KGST Kyrgyz Som", "KGST",
                                      KGST_DECIMALS, KgstRoles(owner, keys["master_minter"].address, owner, owner,
                                                               owner))
        self.gateway = KgstGateway(self.chain, self.artifact.abi, self.deployment.address,
                                   Transactor(self.chain, keys["issuer"]),
                                   Transactor(self.chain, keys["master_minter"]))
        self.key = token_key(self.deployment.chain_id, self.deployment.address)
        self.rail = rail
        feed = screened_redemptions(self.gateway, CursorRepository(service.ctx.engine, self.key), CONFIRMATIONS,
                                    self.deployment.block_number, rail)
        # The feed is rail 2's, which screens each sender: the bridge screens mints only.
        self.bridge = Bridge(service.ctx.engine, ledger, self.gateway, BridgeWalletDirectory(service.ctx), feed,
                             CONFIRMATIONS, screening=screening)

    def send(self, holder: str, to: str, amount_tyiyn: int) -> None:
        """A holder's own ERC-20 transfer (1 KGST = 1 som, 2 decimals: token units are tyiyn)."""
        data = self.artifact.abi.fn("transfer").encode(to, amount_tyiyn)
        Transactor(self.chain, self.keys[holder]).send(self.deployment.address, data)
