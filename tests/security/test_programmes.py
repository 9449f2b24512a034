"""Finding 2 and 3 of the security review (issue 13): a treasury programme could debit
any ledger account (a frozen wallet at another bank, the central bank's issuance
account), an account number above 2^128 got a run stuck, and a failed run showed
Python's exception text.

Now a programme names the wallet it pays from; only an active wallet of the treasury or
a ministry may fund it, checked at creation and again before each batch; the disbursement
domain reaches the ledger only through its gateway, which the chart of accounts lets
debit nothing but wallets for a payment; and a failed run shows a stable problem type.
Each probe checks that nothing moved: balances, circulation, the ledger's verification.
"""

from __future__ import annotations

from typing import Any

import pytest

from digisom.cbdc.accounts import AccountCode, central_account_id, wallet_account_id
from digisom.disbursement.http.executions import DisbursementRuntime
from digisom.disbursement.http.slots import DISBURSEMENT
from digisom.disbursement.model import TransferCode
from digisom.http.services import filled
from digisom.kernel.gateway import DebitNotAllowed
from digisom.ledger.model import Transfer
from tests.api.world import SOM, World
from tests.security.disbursement_runs import approved_run, assert_ledger_verifies, settled

PROBLEMS = "https://digisom.kg/problems/"
REFUSED_SOURCE = PROBLEMS + "source-wallet-refused"


def programme(world: World, source: dict[str, str], programme_id: str = "probe") -> Any:
    body = {"id": programme_id, "name": "Probe", "budget_tyiyn": str(100_000 * SOM), "currency": "KGS", **source}
    return world.post("treasury_operator", "/v1/disbursement/programmes", body)


def snapshot(world: World) -> tuple[int, dict[str, int]]:
    """Circulation (checked equal to issuance) and every wallet's balance."""
    return world.assert_balanced(), {name: world.balance(name) for name in world.wallets}


def freeze(world: World, wallet: str) -> None:
    world.ok(world.post("central_bank", f"/v1/wallets/{world.wallets[wallet]}/freeze",
                        {"reason": "court order", "legal_order_ref": "BISHKEK-2026-117"}))


def assert_refused(response: Any, reason: str) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert (problem["type"], problem["reason"]) == (REFUSED_SOURCE, reason), problem


def test_a_programme_cannot_pay_from_a_frozen_wallet_at_another_bank(world: World) -> None:
    freeze(world, "pensioner")  # Ayil Bank's customer, frozen under a court order
    before = snapshot(world)
    pensioner = world.wallets["pensioner"]

    assert_refused(programme(world, {"source_wallet_id": pensioner}), "not_government")
    # The old way in, a raw ledger account, is gone: the field itself is refused.
    old = programme(world, {"ledger_account_id": str(wallet_account_id(pensioner))})
    assert old.status_code == 422, old.text
    # No programme, so nothing to upload to or drain with.
    assert world.get("auditor", "/v1/disbursement/programmes/probe").status_code == 404
    assert snapshot(world) == before
    assert_ledger_verifies(world)


def test_a_programme_cannot_pay_from_the_central_banks_issuance_account(world: World) -> None:
    before = snapshot(world)
    issuance = str(central_account_id(AccountCode.ISSUANCE))
    assert programme(world, {"ledger_account_id": issuance}).status_code == 422
    # Not a wallet id either: the issuance account has no wallet to name.
    assert programme(world, {"source_wallet_id": issuance}).status_code == 422
    assert_refused(programme(world, {"source_wallet_id": "w" + "a" * 24}), "not_found")
    assert snapshot(world) == before
    assert_ledger_verifies(world)


def test_the_ledger_gateway_refuses_disbursement_debits_of_anything_but_a_wallet(world: World) -> None:
    """Behind the source check: even a transfer built by hand inside the process cannot
    create money from the issuance account or take a bank's reserves."""
    gateway = filled(world.runtime.app, DISBURSEMENT).gateway
    assert isinstance(filled(world.runtime.app, DISBURSEMENT), DisbursementRuntime)
    before = snapshot(world)
    pensioner = wallet_account_id(world.wallets["pensioner"])
    for debit in (central_account_id(AccountCode.ISSUANCE), central_account_id(AccountCode.RESERVE_SOURCE)):
        payment = Transfer(id=1_000_001, debit_account_id=debit, credit_account_id=pensioner, amount=SOM,
                           ledger=417, code=int(TransferCode.DISBURSEMENT))
        with pytest.raises(DebitNotAllowed):
            gateway.create_transfers([payment])
    assert snapshot(world) == before
    assert_ledger_verifies(world)


def test_a_government_wallet_must_belong_to_a_registered_public_body(world: World) -> None:
    """A bank can open a wallet of holder kind `government` for anyone; only the
    treasury's or a ministry's (in the central bank's participant register) may fund a programme."""
    world.open_wallet("commercial_bank", "impostor", "government", 2)
    assert_refused(programme(world, {"source_wallet_id": world.wallets["impostor"]}), "not_government")
    assert_refused(programme(world, {"source_wallet_id": world.wallets["merchant"]}), "not_government")

    world.ok(world.post("central_bank", "/v1/participants", {"id": "health-ministry", "kind": "ministry",
                                                             "name": "Ministry of Health", "bank_code": None}), 201)
    ministry = world.open_wallet("second_bank", "health-ministry", "government", 2)
    created = world.ok(programme(world, {"source_wallet_id": ministry}, "health-grant"), 201)
    assert (created["source_wallet_id"], created["ledger_account_id"]) == (ministry, str(wallet_account_id(ministry)))
    world.ok(programme(world, {"source_wallet_id": world.wallets["treasury"]}, "pensions"), 201)


def test_an_account_id_above_2_to_the_128_is_refused_at_the_door(world: World) -> None:
    too_big = str(2**128 + 5)  # 39 digits: the old pattern let it through and the run got stuck
    response = programme(world, {"ledger_account_id": too_big})
    assert response.status_code == 422, response.text
    assert response.json()["type"] == PROBLEMS + "invalid-request"
    assert programme(world, {"source_wallet_id": too_big}).status_code == 422
    assert world.get("auditor", "/v1/disbursement/programmes/probe").status_code == 404


def test_a_source_wallet_frozen_after_creation_stops_the_run_with_nothing_moved(world: World) -> None:
    world.ok(programme(world, {"source_wallet_id": world.wallets["treasury"]}, "pensions"), 201)
    run_id = approved_run(world, 500 * SOM)
    world.ok(world.post("second_bank", f"/v1/wallets/{world.wallets['treasury']}/freeze",
                        {"reason": "court order", "legal_order_ref": "BISHKEK-2026-118"}))
    before = snapshot(world)

    run = settled(world, run_id)
    assert run["worker_error"] == REFUSED_SOURCE, run
    assert "frozen" in run["worker_error_detail"]
    assert (run["status"], run["payments"]["paid"]["count"]) == ("approved", 0)
    assert snapshot(world) == before
    assert world.ok(world.get("auditor", "/v1/disbursement/programmes/pensions"))["remaining_tyiyn"] == str(
        100_000 * SOM)
    assert_ledger_verifies(world)

    # Unfrozen, the same run pays.
    world.ok(world.post("second_bank", f"/v1/wallets/{world.wallets['treasury']}/unfreeze",
                        {"reason": "order lifted", "legal_order_ref": "BISHKEK-2026-118"}))
    run = settled(world, run_id)
    assert (run["status"], run["worker_error"]) == ("completed", None), run
    assert world.balance("pensioner") == 500 * SOM
    world.assert_balanced()


def test_a_failed_run_shows_a_problem_type_never_the_exception_text(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.ok(programme(world, {"source_wallet_id": world.wallets["treasury"]}, "pensions"), 201)
    run_id = approved_run(world, 500 * SOM)
    service = filled(world.runtime.app, DISBURSEMENT).service
    internals = "OperationalError: connection to 10.0.0.7 failed: password authentication for user nbkr"

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(internals)

    monkeypatch.setattr(service, "execute", broken)
    run = settled(world, run_id)
    assert run["worker_error"] == PROBLEMS + "execution-failed", run
    assert "10.0.0.7" not in run["worker_error_detail"] and "Error" not in run["worker_error_detail"]
