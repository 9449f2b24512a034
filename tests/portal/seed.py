"""Demo-like public data for the portal's tests and its bench: issuance month by month
(through the API, on a moving clock), and the read models of KGST, USDKG, public spending
and the register filled row by row (their write paths have their own tests; here only
what the pages read matters)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from digisom.api.runtime import Runtime
from digisom.disbursement import tables as disbursement_tables
from digisom.disbursement.http.slots import DISBURSEMENT
from digisom.http.services import filled
from digisom.por.proof import prove
from digisom.stablecoin import repository as stablecoin_repository
from digisom.stablecoin.http.slots import STABLECOIN_DB
from digisom.stablecoin.model import ReserveReport
from digisom.usdkg import signers
from digisom.usdkg import tables as usdkg_tables
from digisom.usdkg.http.slots import USDKG
from digisom.usdkg.model import SignerRole
from tests.api.world import AYIL, World, kgs
from tests.por.helpers import built
from tests.por.test_api import reserves

START: datetime = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
KGST_ADDRESS = "0x" + "4b" * 20
REGIONS = ("bishkek", "osh", "naryn", "talas", "batken", "chui", "issyk-kul", "jalal-abad")


@dataclass
class Clock:
    """A clock the test moves (the runtime reads it for every issuance's day)."""

    now: datetime = field(default=START)

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class Sizes:
    """How much to seed: the tests keep it small, the bench seeds a year."""

    months: int = 3
    kgst_reports: int = 5
    bars: int = 60
    programmes: int = 2
    payees_per_cell: int = 6


def seed(runtime: Runtime, clock: Clock, sizes: Sizes = Sizes()) -> World:
    """Fill every public page's data; the world (banks, wallets, a licensed VASP) is returned."""
    world = World.create(runtime)
    world.setup()
    world.license_vasp()
    for month in range(sizes.months):
        clock.now = START + timedelta(days=31 * month)
        world.ok(world.post("central_bank", "/v1/issuance/reserve-credits", {"bank_code": AYIL, **kgs(50_000)}), 201)
        world.ok(world.post("commercial_bank", "/v1/issuance/issues", {"bank_code": AYIL, **kgs(10_000 + month)}), 201)
    _kgst(runtime, sizes.kgst_reports)
    _usdkg(runtime, sizes.bars)
    _spending(runtime, sizes)
    return world


def publish_por_root(world: World) -> dict[str, Any]:
    """A proof-of-reserves root published by the licensed VASP; a customer's proof returned."""
    with built({"pensioner-001": 600, "merchant-002": 400}) as (out, root):
        proof = prove(out, "pensioner-001")
        world.ok(world.post("vasp", "/v1/por/custodians/vasp-ala-too/roots",
                            {"root": root, "reserves": reserves("vasp-ala-too", root, 1_000)}), 201)
    return proof


def _kgst(runtime: Runtime, count: int) -> None:
    with filled(runtime.app, STABLECOIN_DB).begin() as conn:
        for i in range(count):
            tyiyn = 1_000_000_00 + i * 5_000_00
            stablecoin_repository.insert_report(conn, ReserveReport(
                56, KGST_ADDRESS, 18, tyiyn * 10**16, tyiyn, tyiyn, 0, 0, 10**24,
                (START + timedelta(days=i)).isoformat().replace("+00:00", "Z")))


def _usdkg(runtime: Runtime, count: int) -> None:
    issuer = filled(runtime.app, USDKG)
    signers.register(issuer.engine, "vault-custodian", SignerRole.CUSTODIAN, bytes(range(32)), START)
    with issuer.engine.begin() as conn:
        conn.execute(usdkg_tables.bars.insert(), [
            {"serial": f"KG{i:06d}", "brand": "Kyrgyzaltyn", "year": 2024, "gross_moz": 400_000,
             "fineness_tenths": 9999, "fine_moz": 399_960, "vault": "bishkek-1", "custodian": "vault-custodian",
             "status": "in_vault"} for i in range(count)])


def _spending(runtime: Runtime, sizes: Sizes) -> None:
    engine = filled(runtime.app, DISBURSEMENT).engine
    t = disbursement_tables
    at = START.isoformat()
    with engine.begin() as conn:
        for p in range(sizes.programmes):
            programme = f"programme-{p}"
            conn.execute(t.programmes.insert().values(id=programme, name=programme, ledger_account_id="1",
                                                      budget_tyiyn=10**15, remaining_tyiyn=10**15, created_at=at))
            for month in range(sizes.months):
                period = f"{START.year + (START.month + month - 1) // 12}-{(START.month + month - 1) % 12 + 1:02d}"
                run_id = f"run-{p}-{month}"
                payments = [
                    {"run_id": run_id, "programme_id": programme, "period": period, "pin": f"{p}{month:02d}{r}{n:09d}",
                     "line": r * 100 + n, "amount_tyiyn": 500_000 + n, "name": "payee", "region": region,
                     "channel": "wallet", "account_id": "1", "transfer_id": f"{p:02d}{month:04d}{r:02d}{n:04d}",
                     "status": "paid"}
                    for r, region in enumerate(REGIONS)
                    # the last region has too few payees: its cell is suppressed
                    for n in range(sizes.payees_per_cell if r < len(REGIONS) - 1 else 2)]
                conn.execute(t.runs.insert().values(
                    id=run_id, programme_id=programme, period=period, status="completed", uploaded_by="officer",
                    approved_by="second-officer", rows=len(payments),
                    total_tyiyn=sum(int(x["amount_tyiyn"]) for x in payments),
                    file_sha256="0" * 64, uploaded_at=at, approved_at=at, completed_at=at))
                conn.execute(t.payments.insert(), payments)
