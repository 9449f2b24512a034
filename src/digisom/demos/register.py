"""The register chapter of `digisom demo`: the State Register of Digital Assets, a licensed
exchange's volume report and its proof of reserves (issue 17), all through the real services.

The register is seeded (104 synthetic VASPs, KGST and USDKG, every licence through four
eyes) and its signed log verified from its export as an outsider would. A licensed
exchange signs its last month's volume report with its licence key; the service checks it
against the register and publishes it, and the month's aggregates are recomputed from the
published export. The exchange builds the Merkle-sum tree of its customers' KGST balances,
proves its reserve address on the in-process EVM with an EIP-191 challenge and publishes
root and reserves; the regulator's check re-reads the reserve at the block. A customer
checks her inclusion proof with the standalone verifier. A second exchange's customers are
owed more KGST than its reserve address holds: its publication is flagged, with the figures.

The register's clock is set to before the reported month while it is seeded (a licence
granted today could not report last month); everything after runs on the wall clock. The
chapter is told once per world, in the world's database (its chain is new on every run);
KGST and USDKG keep the entries their own chapters registered.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console
from sqlalchemy import Engine

from digisom.api.por_chain import ChainHolderBalances
from digisom.api.runtime import domain_engine
from digisom.api.signing_key import load_or_create_key
from digisom.api.vasp_reports_wiring import RegisterAssets, RegisterLicences, build_reports
from digisom.chain.contracts import kgst_artifact
from digisom.chain.embedded import EmbeddedChain
from digisom.chain.keys import generate_key
from digisom.chain.kgst import KgstGateway, KgstRoles, deploy_kgst
from digisom.chain.transactor import Transactor
from digisom.demos.world import DemoWorld
from digisom.devtools.seed_register import Fate, SeededRegister, SeededVasp, seed_register
from digisom.kernel.clock import iso_utc, utc_now
from digisom.por import migrations as por_migrations
from digisom.por import publication
from digisom.por.csvin import read_balances
from digisom.por.proof import prove, to_binary
from digisom.por.reserves import challenge, parse_reserves, sign_challenge
from digisom.por.tree import build_tree
from digisom.por.verify import ProofInvalid, verify
from digisom.registry import migrations as registry_migrations
from digisom.registry.assets import AssetRegister
from digisom.registry.chain import verify_chain
from digisom.registry.documents import Documents
from digisom.registry.licensing import Activity, Licensing, VaspStatus
from digisom.registry.log import EventLog
from digisom.vasp_reports.export import recompute
from digisom.vasp_reports.periods import Period, ReportingPolicy, current_period
from digisom.vasp_reports.report import parse_report
from digisom.vasp_reports.service import VaspReports
from digisom.vasp_reports.signing import sign

if TYPE_CHECKING:
    from eth_account.signers.local import LocalAccount

BNB_CHAIN_ID: Final = 56
KGST_DECIMALS: Final = 2  # KGST units are tyiyn: 1 KGST = 1 som
USDKG_DECIMALS: Final = 6
CUSTOMERS_A: Final = 2_000
CUSTOMERS_B: Final = 1_500
THE_CUSTOMER: Final = "c-000042"
THE_CUSTOMER_UNITS: Final = 12_500_75  # her 12,500.75 KGST
# Reserves as a share of liabilities, in basis points: the first exchange holds 2% more
# KGST than it owes, the second 6% less.
RESERVE_BP_A: Final = 10_200
RESERVE_BP_B: Final = 9_400
BP: Final = 10_000
CUSTOMER_SEED: Final = "digisom-register-demo-customers-v1"


def _kgst(units: int) -> str:
    """KGST units (2 decimals) as text, by integer arithmetic only."""
    return f"{units // 100:,}.{units % 100:02d} KGST"


def _som(tyiyn: int) -> str:
    return f"{tyiyn // 100:,}.{tyiyn % 100:02d} som"


def _percent(part: int, whole: int) -> str:
    """`part` of `whole` as a percentage with two decimals, rounded down, without a float."""
    hundredths = part * BP // whole
    return f"{hundredths // 100}.{hundredths % 100:02d}%"


def _previous(period: Period) -> Period:
    return Period(period.year - (period.month == 1), (period.month - 2) % 12 + 1)


@dataclass(frozen=True, slots=True)
class _Register:
    """The register's services on the chapter's database, signing with its key."""

    assets: AssetRegister
    licensing: Licensing
    log: EventLog


def run_register_demo(world: DemoWorld, out_dir: Path | None, console: Console | None = None) -> bool:
    """Tell the register and proof-of-reserves story; True when the register's log verified,
    the report was accepted and its aggregates recomputed, the first exchange's reserves
    covered its liabilities, the customer's proof verified and the second exchange was flagged.
    Told once per world: the reserves it proves are on an in-process chain new on every run."""
    console = console or Console()
    if world.told("register"):
        console.rule("The State Register of Digital Assets, volume reports and proof of reserves")
        return world.retell("register", console)
    engine = domain_engine(world.db_url)
    try:
        told = _tell(engine, load_or_create_key(world.data_dir), world.folder("register"), console, out_dir)
    finally:
        engine.dispose()
    world.mark_told("register")
    return told


def _tell(engine: Engine, key: Ed25519PrivateKey, folder: Path, console: Console, out_dir: Path | None) -> bool:
    console.rule("The State Register of Digital Assets, volume reports and proof of reserves")
    for migrations in (registry_migrations, por_migrations):
        migrations.migrate(engine)
    period = _previous(current_period(utc_now(), ReportingPolicy()))
    opened = datetime.combine((period.first_day() - timedelta(days=45)).replace(day=1), time(3), UTC)
    register, seeded = _seed(engine, key, opened)
    facts: dict[str, Any] = {"register": _show_register(register, folder, console, opened)}
    exchange_a, exchange_b = _two_exchanges(seeded)
    reports = build_reports(engine, utc_now, RegisterLicences(register.licensing, utc_now),
                            RegisterAssets(register.assets))
    facts["report"] = _report_month(reports, exchange_a, exchange_b, str(period), folder, console)
    chain = _Kgst()
    facts["exchange"] = _proof_of_reserves(engine, chain, exchange_a, CUSTOMERS_A, RESERVE_BP_A, folder, console, 3)
    facts["customer"] = _customer_checks(engine, folder / "por" / exchange_a.vasp_id, console)
    facts["flagged"] = _proof_of_reserves(engine, chain, exchange_b, CUSTOMERS_B, RESERVE_BP_B, folder, console, 5)
    flagged = facts["flagged"]
    ok = (facts["register"]["chain_ok"] and facts["report"]["recomputed_equal"] and facts["exchange"]["holds"]
          and facts["customer"]["valid"] and not flagged["holds"]
          and flagged["shortfall_units"] == flagged["liabilities_units"] - flagged["reserves_units"] > 0)
    if out_dir is not None:
        (out_dir / "reports").mkdir(parents=True, exist_ok=True)
        (out_dir / "reports" / "register.json").write_text(json.dumps(facts, indent=2) + "\n")
    console.print("[bold green]the register verified, the report recomputed, the reserves covered, the customer "
                  "found herself, and the short exchange was flagged[/bold green]" if ok
                  else "[bold red]the register and reserves story did not add up[/bold red]")
    return ok


def _seed(engine: Engine, key: Ed25519PrivateKey, opened: datetime) -> tuple[_Register, SeededRegister]:
    """Seed on a clock set to `opened`; return the services on the wall clock and what was seeded."""
    seeding_log = EventLog(engine, key, lambda: opened)
    seeded = seed_register(AssetRegister(seeding_log), Licensing(seeding_log, lambda: opened),
                           Documents(engine, lambda: opened))
    log = EventLog(engine, key, utc_now)
    return _Register(AssetRegister(log), Licensing(log, utc_now), log), seeded


def _show_register(register: _Register, folder: Path, console: Console, opened: datetime) -> dict[str, Any]:
    counts = Counter(v.status.value for v in register.licensing.vasps())
    assets = {e.application.symbol: e.status.value for e in register.assets.entries()}
    console.print(f"[bold]1. The register[/bold], seeded as of {opened.date().isoformat()} "
                  f"(synthetic VASPs in Bishkek, Osh and Karakol):")
    console.print("  VASPs: " + ", ".join(f"{status} {counts.get(status.value, 0)}" for status in VaspStatus)
                  + f" ({sum(counts.values())} in all)")
    console.print("  assets: " + ", ".join(f"{symbol} {status}" for symbol, status in sorted(assets.items())))
    # An outsider's check: the published export, with the key the regulator publishes elsewhere.
    exported = folder / "register-export.json"
    exported.write_text(json.dumps(register.log.export(), ensure_ascii=False) + "\n", encoding="utf-8")
    document = json.loads(exported.read_text(encoding="utf-8"))
    problems = verify_chain(document["events"], bytes.fromhex(register.log.public_key_hex))
    verdict = (f"ok: {len(document['events'])} events, chained and signed by {register.log.public_key_hex}"
               if not problems else "; ".join(problems))
    console.print(f"  the export checked as `digisom register verify` does: {verdict}")
    return {"counts": dict(sorted(counts.items())), "assets": assets, "events": len(document["events"]),
            "public_key": register.log.public_key_hex, "chain_ok": not problems, "problems": problems}


def _two_exchanges(seeded: SeededRegister) -> tuple[SeededVasp, SeededVasp]:
    """The first two licensed exchanges that hold customers' assets (exchange and custody)."""
    wanted = {Activity.EXCHANGE, Activity.CUSTODY}
    first, second, *_ = [v for v in seeded.with_fate(Fate.LICENSED)
                         if wanted <= v.activities and Activity.ISSUANCE not in v.activities]
    return first, second


def _volume_report(vasp_id: str, period: str, scale: int) -> dict[str, Any]:
    """A month of trading, in smallest units; totals are the lines' sums, as the VASP's tool makes them."""
    pairs: list[dict[str, Any]] = [
        {"base": "KGST", "quote": "KGS", "volume_base_units": str(48_250_000_00 * scale),
         "volume_tyiyn": str(48_250_000_00 * scale), "trades": 18_420 * scale},
        {"base": "USDKG", "quote": "KGST", "volume_base_units": str(250_000 * 10**USDKG_DECIMALS * scale),
         "volume_tyiyn": str(21_862_500_00 * scale), "trades": 1_310 * scale}]
    return {"format": "digisom-vasp-report-v1", "vasp_id": vasp_id, "period": period, "version": 1, "reason": "",
            "customers": 12_480 * scale, "pairs": pairs,
            "assets": [{"asset": "KGS", "deposits_units": str(31_000_000_00 * scale),
                        "withdrawals_units": str(27_500_000_00 * scale)},
                       {"asset": "KGST", "deposits_units": str(9_800_000_00 * scale),
                        "withdrawals_units": str(8_900_000_00 * scale)},
                       {"asset": "USDKG", "deposits_units": str(40_000 * 10**USDKG_DECIMALS * scale),
                        "withdrawals_units": str(35_000 * 10**USDKG_DECIMALS * scale)}],
            "totals": {"volume_tyiyn": str(sum(int(p["volume_tyiyn"]) for p in pairs)),
                       "trades": sum(p["trades"] for p in pairs)}}


def _report_month(reports: VaspReports, exchange_a: SeededVasp, exchange_b: SeededVasp, period: str, folder: Path,
                  console: Console) -> dict[str, Any]:
    console.print(f"[bold]2. Volume reports for {period}[/bold], each signed with the key of the VASP's licence")
    accepted = []
    for vasp, scale in ((exchange_a, 2), (exchange_b, 1)):
        data = _volume_report(vasp.vasp_id, period, scale)
        stored = reports.submit(vasp.vasp_id, data, sign(vasp.key, parse_report(data)),
                                submitted_by=f"vasp_operator:-:{vasp.vasp_id}")
        accepted.append(stored)
        console.print(f"  {vasp.legal_name} ({vasp.vasp_id}, licence {vasp.licence_number}): accepted, version "
                      f"{stored.report.version}, {_som(int(stored.report.totals.volume_tyiyn))} traded, "
                      f"{stored.report.totals.trades:,} trades, late: {'yes' if stored.late else 'no'}")
    # The outsider's recomputation, from the published export alone.
    exported = folder / f"vasp-reports-{period}.json"
    exported.write_text(json.dumps(reports.export(period)) + "\n")
    published = json.loads(exported.read_text())
    found = recompute(published)
    aggregates = published["aggregates"][0]
    equal = found.ok and found.aggregates == published["aggregates"]
    console.print(f"  published aggregates: {aggregates['reports']} reports, {_som(int(aggregates['volume_tyiyn']))}"
                  f", {aggregates['trades']:,} trades, {aggregates['customers']:,} customer accounts")
    console.print("  recomputed from the export as `digisom vasp-reports recompute` does: "
                  + ("equal to the published, every signature verified" if equal
                     else f"[red]{'; '.join(found.problems)}[/red]"))
    return {"period": period, "vasp_id": exchange_a.vasp_id, "version": accepted[0].report.version,
            "late": accepted[0].late, "aggregates": aggregates, "recomputed": found.aggregates,
            "recomputed_equal": equal, "problems": found.problems}


class _Kgst:
    """KGST on a fresh in-process EVM (deployed as in the KGST chapter), minting reserves."""

    def __init__(self) -> None:
        self.chain = EmbeddedChain(BNB_CHAIN_ID)
        self.artifact = kgst_artifact()
        keys = {role: generate_key() for role in ("owner", "master_minter", "issuer")}
        owner = keys["owner"].address
        self.deployment = deploy_kgst(Transactor(self.chain, keys["owner"]), self.artifact, "KGST Kyrgyz Som", "KGST",
                                      KGST_DECIMALS, KgstRoles(owner, keys["master_minter"].address, owner, owner,
                                                               owner))
        self.gateway = KgstGateway(self.chain, self.artifact.abi, self.deployment.address,
                                   Transactor(self.chain, keys["issuer"]),
                                   Transactor(self.chain, keys["master_minter"]))
        self.gateway.set_minter_allowance(10**15)

    def mint(self, to: str, units: int) -> None:
        self.gateway.broadcast(self.gateway.prepare_mint(to, units, self.gateway.next_nonce()))

    def reader(self) -> ChainHolderBalances:
        return ChainHolderBalances(self.chain, self.artifact.abi, self.deployment.block_number)


def _customers_csv(path: Path, vasp_id: str, count: int) -> None:
    """The exchange's customers' KGST balances (synthetic, reproducible), one named customer among them."""
    rng = random.Random(f"{CUSTOMER_SEED}\n{vasp_id}")  # noqa: S311 -- synthetic balances, not secrets
    lines = ["customer_id,balance"]
    for number in range(1, count + 1):
        customer = f"c-{number:06d}"
        units = THE_CUSTOMER_UNITS if customer == THE_CUSTOMER else rng.choice((0, rng.randint(1, 50_000_00)))
        lines.append(f"{customer},{units}")
    path.write_text("\n".join(lines) + "\n")


def _attest(chain: _Kgst, custodian: str, root: dict[str, Any], reserve: LocalAccount, day: str) -> dict[str, Any]:
    """reserves.json as `digisom por attest` makes it: the balance at the block, the challenge signed."""
    block = chain.chain.block_number()
    token = chain.deployment.address
    held = chain.reader().balances_at(token, [reserve.address], block)
    text = challenge(custodian, root["asset"], day, root["root"], reserve.address)
    document = {"custodian": custodian, "asset": root["asset"], "date": day, "root": root["root"],
                "chain_id": chain.chain.chain_id(), "token": token, "block": block,
                "addresses": [{"address": reserve.address, "balance": held[reserve.address],
                               "signature": sign_challenge(reserve.key, text)}]}
    return parse_reserves(document).as_json()


def _proof_of_reserves(engine: Engine, chain: _Kgst, vasp: SeededVasp, customers: int, reserve_bp: int,
                       folder: Path, console: Console, step: int) -> dict[str, Any]:
    custodian = vasp.vasp_id
    where = folder / "por" / custodian
    where.mkdir(parents=True)
    _customers_csv(where / "balances.csv", custodian, customers)
    root = build_tree(read_balances(where / "balances.csv"), "KGST", where / "tree")
    console.print(f"[bold]{step}. {vasp.legal_name} publishes its proof of reserves"
                  f"[/bold]: {root['leaves']:,} customers, liabilities {_kgst(root['total'])}, depth {root['depth']}, "
                  f"root {root['root'][:16]}...")
    reserve = generate_key()
    chain.mint(reserve.address, root["total"] * reserve_bp // BP)
    reserves = _attest(chain, custodian, root, reserve, utc_now().date().isoformat())
    (where / "reserves.json").write_text(json.dumps(reserves, indent=1) + "\n")
    published = publication.publish(engine, custodian, root, reserves, chain.reader(),
                                     f"vasp_operator:-:{custodian}", iso_utc(utc_now()))
    verdict = published.reserve_check
    console.print(f"  reserve address {reserve.address} holds {_kgst(verdict['reserves'])} at block "
                  f"{verdict['block']} (re-read on chain, EIP-191 challenge recovered)")
    if verdict["holds"]:
        console.print(f"  the regulator's check: [green]reserves cover liabilities[/green] "
                      f"({_kgst(verdict['reserves'])} >= {_kgst(verdict['liabilities'])})")
    else:
        shortfall = verdict["liabilities"] - verdict["reserves"]
        console.print(f"  the regulator's check: [bold red]FLAGGED[/bold red], shortfall {_kgst(shortfall)}: "
                      f"reserves {_kgst(verdict['reserves'])} < liabilities {_kgst(verdict['liabilities'])} "
                      f"({_percent(shortfall, verdict['liabilities'])} short)")
        for problem in verdict["problems"]:
            console.print(f"    {problem}")
    return {"custodian": custodian, "root": root["root"], "leaves": root["leaves"], "depth": root["depth"],
            "liabilities_units": verdict["liabilities"], "reserves_units": verdict["reserves"],
            "shortfall_units": max(0, verdict["liabilities"] - verdict["reserves"]), "holds": verdict["holds"],
            "problems": verdict["problems"]}


def _customer_checks(engine: Engine, where: Path, console: Console) -> dict[str, Any]:
    """The customer gets her proof from the exchange and checks it against the published root."""
    proof = prove(where / "tree", THE_CUSTOMER)
    (where / f"proof-{THE_CUSTOMER}.json").write_text(json.dumps(proof) + "\n")
    mine = json.loads((where / f"proof-{THE_CUSTOMER}.json").read_text())
    root = publication.read(engine, proof["root"]).root
    try:
        verify(mine, root)
        valid, reason = True, "verifies"
    except ProofInvalid as error:
        valid, reason = False, str(error)
    console.print(f"[bold]4. Customer {THE_CUSTOMER} checks her inclusion[/bold] with the standalone verifier "
                  f"(digisom.por.verify): balance {_kgst(mine['balance'])}, leaf {mine['index']}, "
                  f"{len(mine['path'])} steps, {len(to_binary(mine))} bytes in binary: "
                  + ("[green]included in the published root[/green]" if valid else f"[red]{reason}[/red]"))
    cut = {**mine, "balance": mine["balance"] - 1}
    try:
        verify(cut, root)
        caught = "[red]accepted (wrong)[/red]"
    except ProofInvalid as error:
        caught = f"refused: {error}"
    console.print(f"  had the exchange counted her one unit short, the same check says: {caught}")
    return {"customer_id": THE_CUSTOMER, "balance_units": mine["balance"], "index": mine["index"],
            "proof_bytes": len(to_binary(mine)), "valid": valid, "reason": reason}
