"""`digisom offline register|fund|pay|receive|sync` on a data folder shared with the
digital som: a copied device file is a cloned phone, and sync catches it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from digisom.api.runtime import build
from digisom.cbdc.accounts import wallet_account_id
from digisom.cbdc.model import HolderKind, ParticipantKind
from digisom.cli.main import app
from digisom.kernel.access import Actor, Role

CENTRAL_BANK = Actor(Role.CENTRAL_BANK_OPERATOR, "nbkr-operator")
COMMERCIAL_BANK = Actor(Role.BANK_OPERATOR, "ayil-teller", "AYIL")


def open_wallets(data: Path) -> dict[str, str]:
    runtime = build(data_dir=data)
    try:
        cbdc = runtime.service
        cbdc.register_participant("ayil-bank", ParticipantKind.COMMERCIAL_BANK, "Ayil Bank", "AYIL")
        cbdc.convert(CENTRAL_BANK, "reserve_credit", "AYIL", 10_000_000, "reserves")
        cbdc.convert(COMMERCIAL_BANK, "issue", "AYIL", 5_000_000, "issue")
        wallets = {}
        for holder in ("pensioner", "shop"):
            wallet = cbdc.open_wallet(COMMERCIAL_BANK, f"open-{holder}", holder, HolderKind.INDIVIDUAL, 2,
                                      holder.title(), "+996700000001", "1234", None)
            wallets[holder] = wallet.id
        cbdc.credit_deposit(COMMERCIAL_BANK, wallets["pensioner"], 1_000_000, "deposit")
        cbdc.fund(COMMERCIAL_BANK, wallets["pensioner"], 1_000_000, "fund")
        return wallets
    finally:
        runtime.close()


def run(*args: str, code: int = 0) -> dict[str, Any]:
    result = CliRunner().invoke(app, ["offline", *args])
    assert result.exit_code == code, result.output
    out: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return out


def test_devices_on_the_command_line(tmp_path: Path) -> None:
    data = str(tmp_path)
    wallets = open_wallets(tmp_path)
    for holder in ("pensioner", "shop"):
        run("register", "--data", data, "--device", holder, "--wallet", wallets[holder])
    assert run("fund", "--data", data, "--device", "pensioner", "--amount", "300000")["balance_tyiyn"] == 300_000
    # A copy of the device file is a cloned phone.
    devices = tmp_path / "offline-devices"
    shutil.copy(devices / "pensioner.json", devices / "pensioner-copy.json")
    paid = run("pay", "--data", data, "--device", "pensioner", "--to", "shop", "--amount", "200000",
               "--qr", str(tmp_path / "payment.png"))
    assert paid["payment_bytes"] <= 200 and paid["qr_version"] <= 10
    assert run("receive", "--data", data, "--device", "shop", "--payment", paid["payment_file"])["accepted"]
    again = run("receive", "--data", data, "--device", "shop", "--payment", paid["payment_file"], code=1)
    assert again["reason"] == "replay"
    copied = run("pay", "--data", data, "--device", "pensioner-copy", "--to", "shop", "--amount", "250000")
    assert run("receive", "--data", data, "--device", "shop", "--payment", copied["payment_file"], code=1)[
        "reason"] == "chain_fork"
    synced = run("sync", "--data", data, "--device", "shop")
    assert synced["paid_tyiyn"] == 200_000 and synced["findings"] == []
    # The copy's payment reaches the server from the payer's side: the clone is caught.
    caught = run("sync", "--data", data, "--device", "pensioner-copy")
    assert {f[1] for f in caught["findings"]} == {"double_counter", "over_allowance"}
    assert caught["revocation_list_sequence"] == 2
    returned = run("sync", "--data", data, "--device", "pensioner", "--return-unspent")
    assert returned["returned_tyiyn"] == 0  # a fraudulent device gets nothing back: its reserve pays first


def set_frozen(data: Path, wallet_id: str, frozen: bool) -> None:
    runtime = build(data_dir=data)
    try:
        runtime.service.set_frozen(CENTRAL_BANK, wallet_id, frozen, "court order", "BISHKEK-2026-401")
    finally:
        runtime.close()


def test_an_operator_lists_and_retries_a_parked_run(tmp_path: Path) -> None:
    """A payee frozen before its sync parks the run; `retry` posts it once the wallet is
    unfrozen, and again posts nothing twice."""
    data = str(tmp_path)
    wallets = open_wallets(tmp_path)
    for holder in ("pensioner", "shop"):
        run("register", "--data", data, "--device", holder, "--wallet", wallets[holder])
    run("fund", "--data", data, "--device", "pensioner", "--amount", "300000")
    paid = run("pay", "--data", data, "--device", "pensioner", "--to", "shop", "--amount", "120000")
    run("receive", "--data", data, "--device", "shop", "--payment", paid["payment_file"])
    set_frozen(tmp_path, wallets["shop"], True)
    assert run("parked", "--data", data) == {"parked": []}

    run("sync", "--data", data, "--device", "shop")

    (parked,) = run("parked", "--data", data)["parked"]
    assert parked["reason"] == "wallet_not_usable"
    still = run("retry", "--data", data, "--run", str(parked["run_id"]), code=1)
    assert (still["posted"], still["parked"]["reason"]) == (False, "wallet_not_usable")
    set_frozen(tmp_path, wallets["shop"], False)
    retried = run("retry", "--data", data, "--run", str(parked["run_id"]))
    again = run("retry", "--data", data, "--run", str(parked["run_id"]))

    assert (retried["posted"], retried["transfers_posted"]) == (True, 1)
    assert (again["posted"], again["transfers_posted"]) == (True, 0)
    assert run("parked", "--data", data) == {"parked": []}
    runtime = build(data_dir=tmp_path)
    try:
        assert runtime.service.ctx.ledger.account(wallet_account_id(wallets["shop"])).credits_posted == 120_000
    finally:
        runtime.close()
    unknown = CliRunner().invoke(app, ["offline", "retry", "--data", data, "--run", "999"])
    assert unknown.exit_code == 2 and "unknown_run" in unknown.output
