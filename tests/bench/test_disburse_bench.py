"""The disbursement benchmark's smoke run (`--quick`): the paying process is really
killed and resumed, and nobody is paid twice or missed. Figures are reported, never
asserted. And its independent checks do catch a double and a missing payment."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from digisom.devtools.postgres_server import TemporaryPostgres
from digisom.disbursement.model import TransferCode
from digisom.kernel.chart import LEDGER_KGS
from digisom.ledger.model import Transfer
from digisom.ledger.results import CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.stores.url import open_store

BENCH = Path(__file__).resolve().parents[2] / "bench"
KEYS = {"payees", "seconds", "payees_per_s", "killed_and_resumed", "double_payments", "missing_payments",
        "pgbench_tps", "payees_per_s_to_pgbench_tps"}


@pytest.mark.postgres
def test_quick_disburse_bench_is_killed_resumes_and_pays_everyone_once(postgres_server: TemporaryPostgres) -> None:
    # The bench starts its own server; the fixture only makes CI fail (not skip) without one.
    del postgres_server
    run = subprocess.run([sys.executable, str(BENCH / "disburse.py"), "--quick", "--seed", "7"], capture_output=True,
                         text=True, timeout=600, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report.keys() >= KEYS
    assert report["payees"] == 20_000
    assert report["killed_and_resumed"] is True
    assert report["double_payments"] == 0
    assert report["missing_payments"] == 0
    assert report["ledger_verified"] is True
    assert report["budget_fell_by_total"] is True
    # The peer really ran, and the ratio is of the two figures of this run.
    assert report["pgbench_tps"] > 0
    assert report["payees_per_s_to_pgbench_tps"] == round(report["payees_per_s"] / report["pgbench_tps"], 2)


def _bench_module(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH))  # its shared modules (pgbench_peer), as when run as a script
    spec = importlib.util.spec_from_file_location("disburse_bench", BENCH / "disburse.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.postgres
def test_the_bench_checks_catch_a_double_and_a_missing_payment(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    bench = _bench_module(monkeypatch)
    payees = bench.make_payees(30, seed=1)
    bench.set_up(postgres_url, payees)
    store = open_store(postgres_url)
    try:
        ledger = Ledger(store)
        code, treasury, first = int(TransferCode.DISBURSEMENT), bench.TREASURY, bench.WALLETS_FIRST
        amounts = payees.amounts_tyiyn
        paid = [Transfer(100 + n, treasury, first + n, amounts[n], LEDGER_KGS, code) for n in range(29)]
        again = Transfer(200, treasury, first, 1, LEDGER_KGS, code)  # recipient 0 a second time
        assert set(ledger.create_transfers([*paid, again])) == {CreateTransferResult.ok}
    finally:
        store.close()
    checks = bench.check(postgres_url, payees)
    assert (checks["double_payments"], checks["missing_payments"]) == (1, 1)
    assert checks["treasury_debit_matches_total"] is False
    assert checks["budget_fell_by_total"] is False  # nothing went through the service
    assert checks["ledger_verified"] is True
