"""The USDKG chapter of `digisom demo`: the gold-backed dollar on two in-process chains.

Gold bars arrive at the vault (a weight list the custodian signs), the treasury desk's
signed price file sets the gold price, and USDKG is minted on chain 1 (Ethereum) and
chain 56 (BNB Chain) through the issuer's one mint path (`UsdkgIssuer`: the coverage
gate under the mint lock, once per operation id). Coverage is shown from the chains'
own supply. Then the auditor's count misses a bar: once the audit is signed, minting
stops; the auditor's signed resolution (the bar found in another cage) lets it resume.

The issuer first registers its two deployments in the State Register of Digital Assets
(`AssetRegister.ensure_registered`: signed events of the register's log, with the
folder's service key), so what is published about USDKG is the register's entry, not a
constant. Every figure printed is read from the register, the price book, the audits or the
chains. The chains start empty on every run, so the chapter is told once per world (in
the world's database, which `digisom serve --data DIR` serves); a second run shows the books
it left and checks them (digisom.demos.world).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine

from digisom.api.runtime import domain_engine
from digisom.api.signing_key import load_or_create_key
from digisom.api.usdkg_wiring import build_issuer
from digisom.chain.contracts import Artifact, usdkg_artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.chain.keys import generate_key
from digisom.chain.token import TokenRoles
from digisom.chain.transactor import Transactor
from digisom.chain.usdkg import UsdkgToken, deploy_usdkg
from digisom.demos.world import DemoWorld
from digisom.kernel.clock import utc_now
from digisom.registry import migrations as register_migrations
from digisom.registry.assets import AssetEntry, AssetRegister
from digisom.registry.known_assets import usdkg_application
from digisom.usdkg import signers, signing, units
from digisom.usdkg.audits import Audits, resolution_body, signed_body
from digisom.usdkg.coverage import CoverageFigure
from digisom.usdkg.errors import CoverageRefused, UnknownKey
from digisom.usdkg.issuing import UsdkgIssuer
from digisom.usdkg.migrations import migrate
from digisom.usdkg.model import SignerRole, WeightListBar
from digisom.usdkg.price_book import PriceBook
from digisom.usdkg.prices import SignedPriceFile, signed_price_file
from digisom.usdkg.register import BarRegister, arrival_body
from digisom.usdkg.weight_list import COUNT_COLUMNS, WEIGHT_LIST_COLUMNS

CHAINS: Final = {1: "Ethereum", 56: "BNB Chain"}
VAULT: Final = "bishkek-central"
CUSTODIAN: Final = "vault-bank"
AUDITOR: Final = "gold-auditor"
PRICE_SIGNER: Final = "treasury-desk"
# Ten Good Delivery bars: (gross weight moz, assay tenths); fine weight computed by the rule.
BARS: Final = tuple((400_000 + 25 * n, 9999 if n % 2 else 9995) for n in range(10))
BRAND: Final = "Kyrgyzaltyn"
PRICE_CENTS_PER_OZ: Final = 265_012  # the price file's figure; everything else is computed from it
MINT_SHARES_BPS: Final = {1: 6_000, 56: 3_000}  # the first mints take 60% and 30% of the reserve
MISSING: Final = 3  # the bar the auditor's count leaves out (index into BARS)
USDKG_UNITS: Final = 10**units.TOKEN_DECIMALS
# The demo issuer's white paper (the register keeps its SHA-256) and its issuer licence.
USDKG_WHITE_PAPER_SHA256: Final = hashlib.sha256(b"USDKG white paper, demo edition").hexdigest()
USDKG_ISSUER_LICENCE: Final = "KG-VAI-2026-0002"
REGISTRAR: Final = "registrar:-:demo-registrar"


def _usd(cents: int) -> str:
    return f"USD {cents // 100:,}.{cents % 100:02d}"


def _usdkg(amount_units: int) -> str:
    whole, fraction = divmod(amount_units, USDKG_UNITS)
    return f"{whole:,}.{fraction:06d} USDKG"


def _oz(moz: int) -> str:
    return f"{units.format_decimal(moz, 3)} oz"


def _bars() -> list[WeightListBar]:
    return [
        WeightListBar(f"KG{24_0001 + n}", BRAND, gross, assay, units.fine_weight_moz(gross, assay), 2024)
        for n, (gross, assay) in enumerate(BARS)
    ]


def _csv(bars: list[WeightListBar], extra: tuple[str, ...] = ()) -> bytes:
    """A weight list (or, with the vault and count date, an auditor's count) as CSV."""
    columns = COUNT_COLUMNS if extra else WEIGHT_LIST_COLUMNS
    rows = [",".join(columns)] + [
        ",".join((bar.serial, bar.brand, units.format_decimal(bar.gross_moz, 3),
                  units.format_decimal(bar.fineness_tenths, 1), units.format_decimal(bar.fine_moz, 3),
                  str(bar.year), *extra))
        for bar in bars
    ]
    return ("\n".join(rows) + "\n").encode()


@dataclass
class Outcome:
    """What the chapter did, for its closing check and the report file."""

    minted: dict[str, tuple[int, int, str | None]] = field(default_factory=dict)  # op -> chain, units, tx
    floor_refused: bool = False
    refused_rule: str | None = None
    resumed: bool = False
    replay_same: bool = False
    figures: list[CoverageFigure] = field(default_factory=list)
    supply_read: dict[int, int] = field(default_factory=dict)  # each token's totalSupply() at the end
    register_entry: dict[str, object] = field(default_factory=dict)  # USDKG as the State Register lists it

    def minted_by_chain(self) -> dict[int, int]:
        """What the issuer minted on each chain, by its own account."""
        by_chain = dict.fromkeys(CHAINS, 0)
        for chain_id, amount_units, _tx in self.minted.values():
            by_chain[chain_id] += amount_units
        return by_chain


class _Issuer:
    """The issuer's people and systems for the story: keys, the gold domain, two chains."""

    def __init__(self, engine: Engine, now: datetime, register: AssetRegister) -> None:
        self.engine = engine
        self.state_register = register
        self.now = now
        migrate(engine)
        self.keys = {name: Ed25519PrivateKey.generate() for name in (CUSTODIAN, AUDITOR, PRICE_SIGNER)}
        for name, role in ((CUSTODIAN, SignerRole.CUSTODIAN), (AUDITOR, SignerRole.AUDITOR),
                           (PRICE_SIGNER, SignerRole.PRICE_SIGNER)):
            signers.register(engine, name, role, signing.public_bytes(self.keys[name]), now - timedelta(days=1))
        self.holders = {chain_id: generate_key().address for chain_id in CHAINS}
        artifact = usdkg_artifact()  # compiled once: it is the slow part of the chapter
        self.tokens = {chain_id: _deploy(chain_id, artifact) for chain_id in CHAINS}
        services = build_issuer(engine, lambda: self.now, self.tokens)  # what the API and the CLI build
        self.register: BarRegister = services.register
        self.prices: PriceBook = services.prices
        self.audits: Audits = services.audits
        self.issuer: UsdkgIssuer = services.minting

    def price_key(self, name: str) -> bytes | None:
        try:
            with self.engine.connect() as conn:
                return signers.key_of(conn, name, SignerRole.PRICE_SIGNER)
        except UnknownKey:
            return None


def _deploy(chain_id: int, artifact: Artifact) -> UsdkgToken:
    """USDKG on a fresh in-process chain, its minter allowed to mint (the coverage gate is the limit)."""
    chain = EmbeddedChain(chain_id)
    owner, master_minter, minter = generate_key(), generate_key(), generate_key()
    roles = TokenRoles(owner.address, master_minter.address, owner.address, owner.address, owner.address)
    deployment = deploy_usdkg(Transactor(chain, owner), artifact, roles)
    token = UsdkgToken(chain, artifact.abi, deployment.address, Transactor(chain, minter),
                       Transactor(chain, master_minter))
    token.set_minter_allowance(2**63 - 1)
    return token


def run_usdkg_demo(world: DemoWorld, out_dir: Path | None, console: Console | None = None) -> bool:
    """Tell the USDKG story; True when minting stopped on the audit's finding, resumed on its
    resolution, and each chain's supply is what the issuer recorded minting there. Told once
    per world: its chains are new on every run, and the issuer's books are about the first ones."""
    console = console or Console()
    if world.told("usdkg"):
        console.rule("USDKG: the gold-backed dollar on two chains")
        return world.retell("usdkg", console)
    engine = domain_engine(world.db_url)
    try:
        register_migrations.migrate(engine)
        register = AssetRegister.on(engine, load_or_create_key(world.data_dir), utc_now)
        issuing = _Issuer(engine, utc_now(), register)
        outcome = _tell(issuing, console)
        outcome.supply_read = {chain_id: token.total_supply() for chain_id, token in issuing.tokens.items()}
    finally:
        engine.dispose()
    world.mark_told("usdkg")
    ok = _closing_check(outcome)
    if out_dir is not None:
        reports = out_dir / "reports"
        reports.mkdir(parents=True, exist_ok=True)
        document = {
            "ok": ok,
            "floor_refused": outcome.floor_refused,
            "refused_rule": outcome.refused_rule,
            "resumed": outcome.resumed,
            "replay_same": outcome.replay_same,
            "figures": [figure.as_json() for figure in outcome.figures],
            "operations": [{"operation_id": op, "chain_id": chain_id, "amount_units": str(amount), "tx_hash": tx}
                           for op, (chain_id, amount, tx) in outcome.minted.items()],
            "supply_units_by_chain": {str(chain_id): str(supply) for chain_id, supply in outcome.supply_read.items()},
            "register_entry": outcome.register_entry,
        }
        (reports / "usdkg_demo.json").write_text(json.dumps(document, indent=2) + "\n")
    verdict = ("[bold green]minting stopped on the audit's finding, resumed on its resolution; each chain's supply "
               "is what the issuer minted there[/bold green]") if ok else "[bold red]USDKG checks FAILED[/bold red]"
    console.print(verdict)
    return ok


def _closing_check(outcome: Outcome) -> bool:
    """USDKG is registered, both refusals and the resumption happened, a retry minted nothing, each chain's
    `totalSupply()` is what the issuer's record says it minted there, and the last
    coverage figure is at or above the floor."""
    if not outcome.figures:
        return False
    last = outcome.figures[-1]
    covered = last.coverage_bps is not None and last.coverage_bps >= last.floor_bps
    return (outcome.register_entry.get("status") == "registered"
            and outcome.floor_refused and outcome.refused_rule == "audit_unresolved" and outcome.resumed
            and outcome.replay_same
            and outcome.supply_read == outcome.minted_by_chain() and covered)


def _tell(issuing: _Issuer, console: Console) -> Outcome:
    console.rule("USDKG: the gold-backed dollar on two chains")
    outcome = Outcome()
    issuer = issuing.issuer
    for chain_id, token in issuing.tokens.items():
        console.print(f"USDKG deployed on the in-process EVM, chain id {token.chain_id} ({CHAINS[chain_id]}), at "
                      f"{token.address}; {token.decimals()} decimals, read from the contract")
    entry = _register(issuing)
    outcome.register_entry = entry.as_json()
    console.print(f"  State Register of Digital Assets: USDKG is [bold]{entry.status.value}[/bold] on chains "
                  f"{', '.join(str(c.chain_id) for c in entry.application.chains)} (signed event #{entry.last_seq})")

    # 1. Bars arrive: the custodian signs the weight list's digest.
    bars = _bars()
    weight_list = _csv(bars)
    arrived_at = issuing.now - timedelta(hours=2)
    signature = signing.sign(issuing.keys[CUSTODIAN], signing.MOVEMENT_TAG,
                             arrival_body(CUSTODIAN, VAULT, arrived_at, weight_list))
    imported = issuing.register.import_weight_list(weight_list, vault=VAULT, custodian=CUSTODIAN, at=arrived_at,
                                                   signature=signature, recorded_at=arrived_at)
    console.print(f"  [bold]1. Bars arrive at the vault[/bold]: {imported.bars} bars, {_oz(imported.fine_moz)} fine "
                  f"gold, on a weight list signed by {CUSTODIAN}")

    # 2. The price: the treasury desk's signed price file.
    price_file = signed_price_file(issuing.keys[PRICE_SIGNER], PRICE_SIGNER, PRICE_CENTS_PER_OZ,
                                   issuing.now - timedelta(hours=1))
    quote = issuing.prices.update_from(SignedPriceFile(price_file, issuing.price_key), issuing.now)
    console.print(f"  [bold]2. The gold price is set[/bold]: {_usd(quote.price_cents_per_oz)} per troy oz, "
                  f"from {quote.source} (signature checked)")

    # 3. Mint on both chains, sized from the reserve the code computes.
    reserve_units = units.value_units(issuing.register.fine_moz_in_vaults(), quote.price_cents_per_oz)

    def mint(op: str, chain_id: int, amount_units: int) -> None:
        done = issuer.mint(chain_id, issuing.holders[chain_id], amount_units, op)
        outcome.minted[op] = (chain_id, amount_units, done.tx_hash)
        console.print(f"    {op}: {_usdkg(amount_units)} on chain {chain_id} -> {done.state.value} "
                      f"(tx {done.tx_hash})")

    console.print("  [bold]3. USDKG is minted on two chains[/bold] through the issuer's coverage gate")
    for chain_id, share_bps in MINT_SHARES_BPS.items():
        mint(f"mint-{chain_id}-1", chain_id, reserve_units * share_bps // units.BPS_SCALE)
    first = next(iter(outcome.minted))
    chain_id, amount_units, tx_hash = outcome.minted[first]
    again = issuer.mint(chain_id, issuing.holders[chain_id], amount_units, first)
    outcome.replay_same = again.tx_hash == tx_hash
    console.print(f"    {first} sent again (a retry): answered from the record, tx {again.tx_hash}")
    figure = _show(console, issuer, issuing.now, "Coverage after the mints", outcome)
    beyond = _room_units(figure) + 1
    try:
        issuer.mint(1, issuing.holders[1], beyond, "mint-1-beyond")
        console.print("    [red]a mint beyond coverage passed[/red]")
    except CoverageRefused as refused:
        outcome.floor_refused = refused.rule == "coverage_floor"
        console.print(f"    a mint of {_usdkg(beyond)} on chain 1, one unit past the room left, is [red]refused[/red]: "
                      f"{refused.detail}")

    # 4. The audit: the count misses one bar; signed, it stops minting.
    counted = [bar for n, bar in enumerate(bars) if n != MISSING]
    day = issuing.now.date()
    audit = issuing.audits.import_count(day, AUDITOR, _csv(counted, (VAULT, day.isoformat())), issuing.now)
    audit = issuing.audits.sign(audit.audit_id, signing.sign(issuing.keys[AUDITOR], signing.AUDIT_TAG,
                                                             signed_body(day.isoformat(), audit.report_sha256)),
                                issuing.now)
    findings = json.loads(audit.report)["findings"]
    said = "; ".join(f"{f['kind']} {f['serial']}" for f in findings)
    console.print(f"  [bold]4. The audit of {day}[/bold] by {AUDITOR}: {len(counted)} bars counted, "
                  f"{audit.findings} finding(s): {said}; signed, report SHA-256 {audit.report_sha256[:16]}…")
    small = _small_mint_units(issuer, issuing.now)
    try:
        issuer.mint(56, issuing.holders[56], small, "mint-56-2")
        console.print("    [red]a mint passed with the audit unresolved[/red]")
    except CoverageRefused as refused:
        outcome.refused_rule = refused.rule
        console.print(f"    a mint of {_usdkg(small)} on chain 56 is [red]refused[/red]: {refused.detail}")

    # 5. The auditor resolves the finding: minting resumes.
    note = f"bar {findings[0]['serial'] if findings else '?'} found in cage 2 of {VAULT}, recounted and sealed"
    body = resolution_body(day.isoformat(), audit.report_sha256, note)
    issuing.audits.resolve(audit.audit_id, note, signing.sign(issuing.keys[AUDITOR], signing.RESOLUTION_TAG, body),
                           issuing.now)
    console.print(f"  [bold]5. The auditor signs a resolution[/bold]: \"{note}\"")
    mint("mint-56-2", 56, small)
    outcome.resumed = True
    _show(console, issuer, issuing.now, "Coverage after the resolution", outcome)
    return outcome


def _register(issuing: _Issuer) -> AssetEntry:
    """The issuer registers its deployments (as read from the contracts) through the register."""
    decimals = {token.decimals() for token in issuing.tokens.values()}
    (token_decimals,) = decimals  # one USDKG, one number of decimals on every chain
    application = usdkg_application({chain_id: token.address for chain_id, token in issuing.tokens.items()},
                                    token_decimals, USDKG_WHITE_PAPER_SHA256, USDKG_ISSUER_LICENCE)
    return issuing.state_register.ensure_registered(application, REGISTRAR,
                                                    "USDKG deployed on chains 1 and 56; reserve in allocated gold")


def _room_units(figure: CoverageFigure) -> int:
    """The most token units a mint may add before coverage falls below the floor."""
    reserve_units = (figure.reserve_value_cents or 0) * units.UNITS_PER_CENT
    return reserve_units * units.BPS_SCALE // figure.floor_bps - figure.supply_units


def _small_mint_units(issuer: UsdkgIssuer, now: datetime) -> int:
    """A tenth of the room left above the floor, in whole USDKG."""
    return max(_room_units(issuer.coverage.figure(now)) // 10 // USDKG_UNITS, 1) * USDKG_UNITS


def _show(console: Console, issuer: UsdkgIssuer, now: datetime, title: str, outcome: Outcome) -> CoverageFigure:
    figure = issuer.coverage.figure(now)
    outcome.figures.append(figure)
    table = Table(title=title)
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_row("fine gold in the vault", _oz(figure.fine_moz))
    price = figure.price.price_cents_per_oz if figure.price else 0
    table.add_row("gold price", f"{_usd(price)} / oz")
    table.add_row("reserve value", _usd(figure.reserve_value_cents or 0))
    for chain_id, supply in sorted(figure.supply_units_by_chain.items()):
        table.add_row(f"supply on chain {chain_id} ({CHAINS.get(chain_id, '?')})", _usdkg(supply))
    table.add_row("supply, all chains", _usdkg(figure.supply_units))
    coverage = "-" if figure.coverage_bps is None else f"{units.format_decimal(figure.coverage_bps, 2)}%"
    table.add_row("coverage (floor)", f"{coverage} ({units.format_decimal(figure.floor_bps, 2)}%)")
    table.add_row("next audit due", str(figure.audits.next_due))
    console.print(table)
    return figure

