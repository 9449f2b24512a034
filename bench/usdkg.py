"""USDKG: import a 100,000-bar LBMA weight list and reconcile a 100,000-bar audit count.

Prints one JSON line: `import_s` (parse, check and insert the weight list, one
transaction), `reconcile_s` (import the auditor's count, reconcile it with the register
as of the audit date, store count and report), the target (≤ 10 s each) and, as the peer
measured in the same run, `parse_s`: parsing and checking the file alone, so the cost of
the database is the difference."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from digisom.api.runtime import domain_engine
from digisom.usdkg import signers, signing, units
from digisom.usdkg.audits import Audits
from digisom.usdkg.migrations import migrate
from digisom.usdkg.model import SignerRole
from digisom.usdkg.refiners import SYNTHETIC_REFINERS
from digisom.usdkg.register import BarRegister, arrival_body
from digisom.usdkg.weight_list import COUNT_COLUMNS, WEIGHT_LIST_COLUMNS, parse_weight_list

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
AUDIT_DAY = date(2026, 3, 31)
TARGET_S = 10.0


def _rows(count: int) -> list[list[str]]:
    brands = sorted(SYNTHETIC_REFINERS)
    rows = []
    for i in range(count):
        gross = 14_100 * 25 + (i * 7919) % 3_000 * 25  # 352.5 to 427.5 oz, on the 0.025 step
        fineness = 9950 + i % 51
        rows.append(
            [
                f"KG{i:07d}",
                brands[i % len(brands)],
                units.format_decimal(gross, 3),
                units.format_decimal(fineness, 1),
                units.format_decimal(units.fine_weight_moz(gross, fineness), 3),
                str(2000 + i % 26),
            ]
        )
    return rows


def _csv(header: tuple[str, ...], rows: list[list[str]]) -> bytes:
    return ("\n".join([",".join(header), *(",".join(r) for r in rows)]) + "\n").encode()


def run(bars: int, url: str | None) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        engine = domain_engine(url or f"sqlite:///{Path(folder) / 'usdkg.db'}")
        migrate(engine)
        custodian, auditor = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
        signers.register(engine, "vault_bank", SignerRole.CUSTODIAN, signing.public_bytes(custodian), START)
        signers.register(engine, "auditor", SignerRole.AUDITOR, signing.public_bytes(auditor), START)
        register = BarRegister(engine, SYNTHETIC_REFINERS)
        rows = _rows(bars)
        data = _csv(WEIGHT_LIST_COLUMNS, rows)

        started = time.perf_counter()
        parse_weight_list(data, SYNTHETIC_REFINERS)
        parse_s = time.perf_counter() - started

        signature = signing.sign(custodian, signing.MOVEMENT_TAG, arrival_body("vault_bank", "bishkek-1", START, data))
        started = time.perf_counter()
        result = register.import_weight_list(
            data, vault="bishkek-1", custodian="vault_bank", at=START, signature=signature, recorded_at=START
        )
        import_s = time.perf_counter() - started

        # The count: every bar but one, one weighed differently, one extra.
        counted = [[*r, "bishkek-1", AUDIT_DAY.isoformat()] for r in rows[1:]]
        counted[0][2] = units.format_decimal(units.parse_decimal(counted[0][2], 3) + 25, 3)
        counted.append(["XX0000001", *rows[0][1:], "bishkek-1", AUDIT_DAY.isoformat()])
        started = time.perf_counter()
        audit = Audits(engine, register).import_count(
            AUDIT_DAY, "auditor", _csv(COUNT_COLUMNS, counted), START + timedelta(days=90)
        )
        reconcile_s = time.perf_counter() - started
        engine.dispose()
    return {
        "bench": "usdkg",
        "database": (url or "sqlite").split(":")[0],
        "bars": result.bars,
        "findings": audit.findings,
        "parse_s": round(parse_s, 3),
        "import_s": round(import_s, 3),
        "reconcile_s": round(reconcile_s, 3),
        "target_s": TARGET_S,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bars", type=int, default=100_000)
    parser.add_argument("--url", help="a PostgreSQL URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    json.dump(run(args.bars, args.url), sys.stdout)
    print()


if __name__ == "__main__":
    main()
