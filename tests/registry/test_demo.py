"""The register chapter: every figure it prints is the services' own, read back from the
chapter's database and files after the run (the register's licences, the stored report,
the published export recomputed, the customer's proof through `digisom por verify`, the
flagged publication against the exchange's own CSV); fast enough for the demo."""

from __future__ import annotations

import io
import json
import time
from collections import Counter
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console
from typer.testing import CliRunner

from digisom.api.runtime import database_url, domain_engine
from digisom.cli.main import app
from digisom.demos.register import run_register_demo
from digisom.demos.world import DemoWorld
from digisom.devtools.seed_register import Fate, plan
from digisom.kernel.clock import utc_now
from digisom.por import publication
from digisom.registry.chain import verify_chain
from digisom.registry.licensing import Licensing, VaspStatus
from digisom.registry.log import EventLog
from digisom.vasp_reports.export import recompute
from digisom.vasp_reports.service import VaspReports
from digisom.vasp_reports.static_registers import StaticAssets, StaticLicences


def _kgst(units: int) -> str:
    return f"{units // 100:,}.{units % 100:02d} KGST"


def test_demo_licenses_reports_proves_and_flags_with_the_services_figures(tmp_path: Path) -> None:
    data = tmp_path / "data"
    out = io.StringIO()
    started_cpu_s = time.process_time()
    assert run_register_demo(DemoWorld(data), tmp_path / "out", Console(file=out, width=300))
    cpu_s = time.process_time() - started_cpu_s
    text = out.getvalue()
    facts = json.loads((tmp_path / "out" / "reports" / "register.json").read_text())
    engine = domain_engine(database_url(data, None))
    try:
        # The register: the counts printed are the licensing service's, and the seed's plan.
        licensing = Licensing(EventLog(engine, Ed25519PrivateKey.generate(), utc_now), utc_now)
        counts = Counter(v.status for v in licensing.vasps())
        planned = Counter(v.fate for v in plan())
        assert counts[VaspStatus.LICENSED] == planned[Fate.LICENSED] == facts["register"]["counts"]["licensed"] >= 90
        assert f"licensed {counts[VaspStatus.LICENSED]}," in text
        assert f"suspended {counts[VaspStatus.SUSPENDED]}," in text
        export = json.loads((data / "demo" / "register" / "register-export.json").read_text())
        assert verify_chain(export["events"], bytes.fromhex(export["public_key"])) == []
        assert f"ok: {len(export['events'])} events, chained and signed by {export['public_key']}" in text

        # The report: stored as version 1 of the month, and the aggregates recompute from the export.
        period, vasp_id = facts["report"]["period"], facts["report"]["vasp_id"]
        reports = VaspReports(engine, StaticLicences(), StaticAssets(), utc_now)
        (stored,) = reports.versions(vasp_id, period)
        assert stored.report.version == facts["report"]["version"] == 1
        assert f"({vasp_id}, licence " in text and "accepted, version 1" in text
        published = reports.export(period)
        found = recompute(json.loads((data / "demo" / "register" / f"vasp-reports-{period}.json").read_text()))
        assert found.ok and found.aggregates == published["aggregates"] == [facts["report"]["aggregates"]]
        volume = int(published["aggregates"][0]["volume_tyiyn"])
        assert f"published aggregates: 2 reports, {volume // 100:,}.{volume % 100:02d} som" in text

        # The customer's proof verifies against the published root (the CLI, a separate reader).
        custodian = facts["exchange"]["custodian"]
        where = data / "demo" / "register" / "por" / custodian
        proof_file = where / f"proof-{facts['customer']['customer_id']}.json"
        verified = CliRunner().invoke(app, ["por", "verify", str(proof_file), "--root", str(where / "tree" /
                                                                                             "root.json")])
        assert verified.exit_code == 0, verified.output
        proof = json.loads(proof_file.read_text())
        assert publication.check_proof(engine, facts["exchange"]["root"], proof) is None
        assert f"balance {_kgst(proof['balance'])}, leaf {proof['index']}" in text
        assert "included in the published root" in text

        # The second exchange: flagged, its shortfall the published verdict's, its liabilities its own CSV's sum.
        flagged = facts["flagged"]
        (row,) = publication.listed(engine, flagged["custodian"], 0, 10)
        check = row.reserve_check
        balances_csv = data / "demo" / "register" / "por" / flagged["custodian"] / "balances.csv"
        owed = sum(int(line.split(",")[1]) for line in balances_csv.read_text().splitlines()[1:])
        assert check["holds"] is False and check["liabilities"] == owed
        shortfall = check["liabilities"] - check["reserves"]
        assert shortfall == flagged["shortfall_units"] > 0
        assert f"FLAGGED, shortfall {_kgst(shortfall)}" in text
        assert f"shortfall of {shortfall} KGST units" in " ".join(check["problems"])
        (first,) = publication.listed(engine, custodian, 0, 10)
        assert first.reserve_check["holds"] is True
    finally:
        engine.dispose()
    # A few seconds of work; CPU time, not wall time: at a load of 16 on two cores the wall clock says little.
    assert cpu_s < 10, cpu_s
