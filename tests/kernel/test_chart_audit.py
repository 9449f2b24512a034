"""The chart checked a second time, from the journal (`digisom.kernel.chart_audit`): what a
writer that skipped the gateways posted is found; what the gateways let through is clean."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from digisom.cbdc.accounts import AccountCode, TransferCode
from digisom.cli.main import app
from digisom.kernel.chart import LEDGER_KGS
from digisom.kernel.chart_audit import audit_chart
from digisom.ledger.model import Account, Transfer, TransferFlags
from digisom.ledger.results import CreateAccountResult, CreateTransferResult
from digisom.ledger.service import Ledger
from digisom.stablecoin.accounts import StablecoinTransferCode
from digisom.stores.memory import MemoryStore
from digisom.stores.url import open_store
from tests.api.conftest import any_store_runtime, any_store_world
from tests.api.world import World

__all__ = ["any_store_runtime", "any_store_world"]  # the API fixtures, for the end-to-end case

ISSUANCE, WALLET_A, WALLET_B = 1, 2, 3


def _ledger_with_accounts() -> Ledger:
    ledger = Ledger(MemoryStore())
    created = ledger.create_accounts([
        Account(ISSUANCE, LEDGER_KGS, int(AccountCode.ISSUANCE)),
        Account(WALLET_A, LEDGER_KGS, int(AccountCode.WALLET)),
        Account(WALLET_B, LEDGER_KGS, int(AccountCode.WALLET)),
    ])
    assert created == [CreateAccountResult.ok] * 3
    return ledger


def test_transfers_the_chart_allows_pass() -> None:
    ledger = _ledger_with_accounts()
    ok = [Transfer(10, ISSUANCE, WALLET_A, 500, LEDGER_KGS, int(TransferCode.FUNDING)),
          Transfer(11, WALLET_A, WALLET_B, 200, LEDGER_KGS, int(TransferCode.P2P), int(TransferFlags.PENDING)),
          Transfer(12, 0, 0, 0, 0, 0, int(TransferFlags.POST_PENDING_TRANSFER), pending_id=11)]
    assert ledger.create_transfers(ok) == [CreateTransferResult.ok] * 3
    report = audit_chart(ledger.store)
    assert (report.ok, report.accounts, report.transfers, report.violations) == (True, 3, 3, [])


def test_a_writer_that_skipped_the_gateway_is_found() -> None:
    ledger = _ledger_with_accounts()
    bad = [
        # The KGST bridge's code debiting the central bank's issuance account: not the bridge's to debit.
        Transfer(20, ISSUANCE, WALLET_A, 5, LEDGER_KGS, int(StablecoinTransferCode.KGST_MINT)),
        Transfer(21, WALLET_A, WALLET_B, 5, LEDGER_KGS, 999),  # a code no domain owns
    ]
    assert ledger.create_accounts([Account(4, LEDGER_KGS, 77)]) == [CreateAccountResult.ok]  # no such code
    assert ledger.create_transfers(bad) == [CreateTransferResult.ok] * 2  # the bare ledger knows no chart
    report = audit_chart(ledger.store)
    assert report.violation_count == 3 and not report.ok
    assert "account 4: account code 77" in report.violations[0]
    assert report.violations[1].startswith("transfer 20") and "KGST_MINT (stablecoin) may not debit" in \
        report.violations[1]
    assert report.violations[2].startswith("transfer 21") and "code 999 is not in the chart" in report.violations[2]


def test_the_api_world_keeps_to_the_chart_and_the_cli_says_so(any_store_world: World) -> None:
    world = any_store_world
    world.ok(world.pay("treasury", "treasury", "pensioner", 100), 201)
    store = open_store(world.runtime.db_url)
    try:
        report = audit_chart(store)
    finally:
        store.close()
    assert report.ok and report.transfers > 0, report.violations
    result = CliRunner().invoke(app, ["ledger", "verify", "--chart", "--db", world.runtime.db_url])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["ok"] is True and summary["chart_violations"] == 0
