"""Disbursement through the real alias directory of the digital som (no fake): a bank
registers its customers' personal numbers, the treasury pays a cash programme and a
purpose-bound benefit programme."""

from __future__ import annotations

import time
from typing import Any

from digisom.cbdc.accounts import AccountCode, balance_tyiyn, bank_account_id
from digisom.kernel.access import Role
from tests.api.world import AYIL, SOM, World

WALLET_PIN, BANK_PIN, STRANGER_PIN = "21203195000111", "21203195000222", "21203195000333"
POLL_TIMEOUT_S = 60.0


def upload(world: World, programme: str, rows: list[tuple[str, int]], key: str) -> Any:
    data = "pin,amount_tyiyn,name,region\n" + "".join(f"{p},{som * SOM},Payee,Naryn\n" for p, som in rows)
    headers = {**world.headers("treasury_operator", key), "Content-Type": "text/csv"}
    return world.client.post(f"/v1/disbursement/programmes/{programme}/runs", params={"period": "2026-11"},
                             content=data.encode(), headers=headers)


def pay(world: World, programme: str, rows: list[tuple[str, int]]) -> dict[str, Any]:
    run_id = world.ok(upload(world, programme, rows, f"{programme}-run"), 201)["id"]
    world.ok(world.post("treasury_supervisor", f"/v1/disbursement/runs/{run_id}/approval"))
    assert world.post("treasury_operator", f"/v1/disbursement/runs/{run_id}/execution").status_code == 202
    deadline = time.monotonic() + POLL_TIMEOUT_S
    while (run := world.ok(world.get("auditor", f"/v1/disbursement/runs/{run_id}")))["status"] != "completed":
        assert time.monotonic() < deadline and run["worker_error"] is None, run
        time.sleep(0.05)
    report: dict[str, Any] = world.ok(world.get("auditor", f"/v1/disbursement/runs/{run_id}/report"))
    return report


def pensions_with_aliases(world: World, budget_som: int) -> str:
    """A second treasury operator, Ayil Bank's aliases (one wallet, one bank account) and a
    pensions programme paying from the treasury wallet; returns that wallet."""
    world.tokens["treasury_supervisor"] = world.runtime.issuer.issue(Role.TREASURY_OPERATOR, "treasury-supervisor")
    world.ok(world.client.put(f"/v1/aliases/{WALLET_PIN}", json={"wallet_id": world.wallets["pensioner"]},
                              headers=world.headers("commercial_bank", "alias-1")))
    world.ok(world.client.put(f"/v1/aliases/{BANK_PIN}", json={"bank_account": "KG21AYIL0000001234567890"},
                              headers=world.headers("commercial_bank", "alias-2")))
    treasury = world.wallets["treasury"]
    world.ok(world.post("treasury_operator", "/v1/disbursement/programmes", {
        "id": "pensions", "name": "Pensions", "source_wallet_id": treasury,
        "budget_tyiyn": str(budget_som * SOM), "currency": "KGS"}), 201)
    return treasury


def test_cash_and_benefit_programmes_through_the_banks_alias_directory(world: World) -> None:
    treasury = pensions_with_aliases(world, 10_000)

    refused = upload(world, "pensions", [(WALLET_PIN, 100), (STRANGER_PIN, 100)], "k-refused")
    assert [(e["line"], e["reason"]) for e in refused.json()["errors"]] == [(3, "unknown_pin")]
    cash = pay(world, "pensions", [(WALLET_PIN, 100), (BANK_PIN, 200)])
    assert [(line["pin"], line["channel"], line["status"]) for line in cash["lines"]] == [
        (WALLET_PIN, "wallet", "paid"), (BANK_PIN, "bank_account", "paid")]
    assert world.balance("pensioner") == 100 * SOM
    world.assert_balanced()

    # A purpose-bound programme: the wallet holder's benefit account; the bank-account holder unclaimed.
    scheme = world.ok(world.post("treasury_operator", "/v1/benefit-schemes", {
        "name": "School supplies", "categories": ["5943"], "expires_on": "2099-12-31",
        "treasury_wallet_id": treasury}), 201)
    world.ok(world.post("treasury_operator", "/v1/disbursement/programmes", {
        "id": "school-grant", "name": "School grant", "source_wallet_id": treasury,
        "budget_tyiyn": str(10_000 * SOM), "currency": "KGS", "benefit_scheme": scheme["id"]}), 201)
    grant = pay(world, "school-grant", [(WALLET_PIN, 50), (BANK_PIN, 50)])
    assert [(line["channel"], line["status"]) for line in grant["lines"]] == [("wallet", "paid"), ("none", "unclaimed")]
    assert world.balance("pensioner") == 100 * SOM  # the grant sits in the benefit account, not the cash balance
    world.assert_balanced()


def float_tyiyn(world: World, bank_code: str) -> int:
    """A bank's digital som float, read from the ledger."""
    return balance_tyiyn(world.runtime.service.ctx.ledger.account(bank_account_id(bank_code, AccountCode.BANK_FLOAT)))


def test_a_bank_returns_a_payment_it_could_not_credit_and_the_treasury_pays_again(world: World) -> None:
    pensions_with_aliases(world, 1_000)
    run_id = pay(world, "pensions", [(WALLET_PIN, 100), (BANK_PIN, 200)])["run_id"]
    treasury_paid, ayil_float = world.balance("treasury"), float_tyiyn(world, AYIL)
    returns = f"/v1/disbursement/runs/{run_id}/returns"
    closed = {"pin": BANK_PIN, "reason": "account_closed"}

    # Only the bank whose float was credited, only for that payment; the treasury may not.
    assert world.post("second_bank", returns, closed).status_code == 404
    assert world.post("commercial_bank", returns, {"pin": WALLET_PIN, "reason": "x"}).status_code == 404
    assert world.post("treasury_operator", returns, closed).status_code == 403
    returned = world.ok(world.post("commercial_bank", returns, closed, key="return-1"), 201)
    assert returned["amount_tyiyn"] == str(200 * SOM) and returned["attempt"] == 0
    assert world.ok(world.post("commercial_bank", returns, closed, key="return-1"), 201) == returned  # replayed
    again = world.post("commercial_bank", returns, closed, key="return-2")
    assert again.status_code == 409 and again.json()["type"].endswith("/wrong-state"), again.text
    assert (world.balance("treasury"), float_tyiyn(world, AYIL)) == (treasury_paid + 200 * SOM, ayil_float - 200 * SOM)
    programme = world.ok(world.get("treasury_operator", "/v1/disbursement/programmes/pensions"))
    assert programme["remaining_tyiyn"] == str(1_000 * SOM - 100 * SOM)  # the budget line got the 200 back

    # The customer gives a new account; the treasury pays again (a new attempt), once.
    world.ok(world.client.put(f"/v1/aliases/{BANK_PIN}", json={"bank_account": "KG21AYIL0000009999999999"},
                              headers=world.headers("commercial_bank", "alias-3")))
    assert world.post("commercial_bank", f"/v1/disbursement/runs/{run_id}/repayment").status_code == 403
    repaid = world.ok(world.post("treasury_operator", f"/v1/disbursement/runs/{run_id}/repayment", key="repay-1"))
    assert (repaid["recipients"], repaid["total_tyiyn"], repaid["run_status"]) == (1, str(200 * SOM), "completed")
    nothing = world.ok(world.post("treasury_operator", f"/v1/disbursement/runs/{run_id}/repayment", key="repay-2"))
    assert nothing["recipients"] == 0
    assert (world.balance("treasury"), float_tyiyn(world, AYIL)) == (treasury_paid, ayil_float)
    report = world.ok(world.get("auditor", f"/v1/disbursement/runs/{run_id}/report"))
    line = next(line for line in report["lines"] if line["pin"] == BANK_PIN)
    assert (line["status"], line["attempt"]) == ("paid", 1)
    assert report["summary"]["returns"] == {"count": 1, "amount_tyiyn": str(200 * SOM)}
    world.assert_balanced()
