"""The alias directory and benefit sweep at the scale of a treasury run.

Claims measured, on SQLite (the embedded default; one file holds ledger and tables):
- `resolve_aliases` answers a full lookup of 8,190 personal numbers in one query, fast
  enough that the ~123 calls of a 1,000,000-payee disbursement run take seconds;
- `benefit_account_ids` creates a batch's 8,190 benefit accounts in one ledger batch;
- the expiry sweep returns every unspent benefit in batches of 4,095 accounts, and a
  second run moves nothing (circulation = issuance checked after each).

Setup writes the directory and wallet rows directly (the registration path is tested
elsewhere), and the grants straight to the ledger (a disbursement may debit only a
wallet, and no wallet may hold a whole run); everything measured goes through `CbdcService`. The last line of output is
one JSON object.

Run: .venv/bin/python bench/benefits.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from digisom.api.runtime import build
from digisom.cbdc import accounts, benefits, tables
from digisom.cbdc.accounts import AccountCode, TransferCode
from digisom.cbdc.aliases import RESOLVE_MAX
from digisom.cbdc.model import HolderKind, ParticipantKind
from digisom.cbdc.service import CbdcService
from digisom.kernel.access import Actor, Role
from digisom.kernel.chart import LEDGER_KGS
from digisom.ledger.model import Transfer
from digisom.ledger.results import CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.stores.url import open_store

BANK = Actor(Role.BANK_OPERATOR, "bench-teller", "AYIL")
CENTRAL_BANK = Actor(Role.CENTRAL_BANK_OPERATOR, "bench-nbkr")
TREASURY = Actor(Role.TREASURY_OPERATOR, "bench-treasury")
PAYEES_PER_RUN = 1_000_000
GRANT_TYIYN = 5_000_00
ROW_CHUNK = 5_000


def _number(n: int) -> str:
    return f"2{n:013d}"


def _wallet_id(n: int) -> str:
    return f"wbench{n:019d}"


def _seed(service: CbdcService, wallets: int, aliases: int) -> None:
    """Wallet rows (ledger accounts only where measured steps need them) and alias rows."""
    now = service.ctx.now_iso()
    with service.ctx.engine.begin() as conn:
        for start in range(0, wallets, ROW_CHUNK):
            conn.execute(tables.wallets.insert(), [
                {"id": _wallet_id(n), "operation_id": f"bench|{n}", "bank_code": "AYIL", "holder_id": f"h{n}",
                 "holder_kind": "individual", "tier": 1, "status": "active", "created_at": now}
                for n in range(start, min(start + ROW_CHUNK, wallets))
            ])
        for start in range(0, aliases, ROW_CHUNK):
            conn.execute(tables.aliases.insert(), [
                {"personal_number": _number(n), "bank_code": "AYIL",
                 "wallet_id": _wallet_id(n) if n % 4 else None, "bank_account": None if n % 4 else f"KG{n:020d}",
                 "created_at": now, "updated_at": now}
                for n in range(start, min(start + ROW_CHUNK, aliases))
            ])


def _balanced(service: CbdcService) -> bool:
    summary = service.issuance_summary()
    return summary.circulation_tyiyn == summary.issuance_liability_tyiyn


def run(aliases: int, swept: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        runtime = build(data_dir=Path(tmp))
        try:
            service = runtime.service
            service.register_participant("ayil", ParticipantKind.COMMERCIAL_BANK, "Ayil", "AYIL")
            service.convert(CENTRAL_BANK, "reserve_credit", "AYIL", 10**13, "reserves")
            service.convert(BANK, "issue", "AYIL", 10**12, "issue")
            _seed(service, max(aliases, swept), aliases)

            # 1. Resolution: full calls of 8,190 numbers, a quarter of them unknown.
            calls_ms = []
            for call in range(10):
                asked = [_number((call * 7_919 + i) % (aliases * 4 // 3)) for i in range(RESOLVE_MAX)]
                started = time.perf_counter()
                found = service.resolve_aliases(asked)
                calls_ms.append((time.perf_counter() - started) * 1000)
                assert 0 < len(found) <= RESOLVE_MAX
            resolve_ms = statistics.median(calls_ms)

            # 2. Benefit accounts for `swept` wallets, 8,190 per call, then a grant on each.
            treasury = service.open_wallet(BANK, "treasury", "treasury", HolderKind.GOVERNMENT, 2, "Treasury",
                                           "+996700000009", "1234", None).id
            expires = datetime.now(UTC).date() + timedelta(days=1)
            scheme = service.create_benefit_scheme(TREASURY, "bench", "School supplies", ["5943"], expires, treasury)
            started = time.perf_counter()
            ids: dict[str, int] = {}
            wallet_ids = [_wallet_id(n) for n in range(swept)]
            for start in range(0, swept, RESOLVE_MAX):
                ids.update(service.benefit_account_ids(scheme.id, wallet_ids[start : start + RESOLVE_MAX]))
            accounts_s = time.perf_counter() - started
            float_id = accounts.bank_account_id("AYIL", AccountCode.BANK_FLOAT)
            grants = [Transfer(accounts.transfer_id(f"bench-grant|{w}", "grant"), float_id, i, GRANT_TYIYN,
                               LEDGER_KGS, int(TransferCode.DISBURSEMENT)) for w, i in ids.items()]
            seeding = open_store(runtime.db_url)  # a second writer on the database is safe
            try:
                seeder = Ledger(seeding)
                for start in range(0, len(grants), RESOLVE_MAX):
                    assert set(seeder.create_transfers(grants[start : start + RESOLVE_MAX])) == {
                        CreateTransferResult.ok}
            finally:
                seeding.close()
            balanced_before = _balanced(service)

            # 3. The sweep after the last day, then again.
            real_today = benefits.today
            benefits.today = lambda _ctx: expires + timedelta(days=1)  # type: ignore[assignment]
            try:
                started = time.perf_counter()
                first = service.expire_benefits(TREASURY, scheme.id, "sweep-1")
                sweep_s = time.perf_counter() - started
                started = time.perf_counter()
                second = service.expire_benefits(TREASURY, scheme.id, "sweep-2")
                resweep_s = time.perf_counter() - started
            finally:
                benefits.today = real_today  # type: ignore[assignment]
            return {
                "store": "sqlite",
                "aliases": aliases,
                "resolve_batch": RESOLVE_MAX,
                "resolve_ms_p50": round(resolve_ms, 1),
                "resolve_ms_max": round(max(calls_ms), 1),
                "resolve_run_1m_payees_s": round(resolve_ms * PAYEES_PER_RUN / RESOLVE_MAX / 1000, 1),
                "benefit_accounts": len(ids),
                "benefit_accounts_per_s": round(len(ids) / accounts_s),
                "swept_accounts": first.accounts_swept,
                "swept_tyiyn": first.returned_tyiyn,
                "sweep_accounts_per_s": round(first.accounts_swept / sweep_s),
                "resweep_s": round(resweep_s, 2),
                "sweep_exact": first.returned_tyiyn == len(ids) * GRANT_TYIYN and second == first,
                "balanced": balanced_before and _balanced(service),
            }
        finally:
            runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small run for the test suite")
    args = parser.parse_args()
    report = run(aliases=20_000, swept=2_000) if args.quick else run(aliases=200_000, swept=20_000)
    sys.stdout.write(json.dumps(report) + "\n")


if __name__ == "__main__":
    main()
