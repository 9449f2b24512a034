"""Benefits over HTTP: a scheme, a benefit paid in (as the disbursement wiring does), spent
at an allowed merchant, refused elsewhere with a reason, shown apart on the wallet and
its statement, and swept back to the treasury after the last day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from digisom.cbdc import accounts, benefits
from digisom.cbdc.accounts import TransferCode
from digisom.disbursement.http.slots import DISBURSEMENT
from digisom.http.services import filled
from digisom.kernel.chart import LEDGER_KGS
from digisom.ledger.model import Transfer
from digisom.ledger.results import CreateTransferResult
from tests.api.world import SOM, World, kgs

PROBLEM = "https://digisom.kg/problems/"


def _scheme(world: World, categories: list[str]) -> dict[str, Any]:
    body = {"name": "Groceries for pensioners", "categories": categories,
            "treasury_wallet_id": world.wallets["treasury"],
            "expires_on": (datetime.now(UTC).date() + timedelta(days=10)).isoformat()}
    return world.ok(world.post("treasury_operator", "/v1/benefit-schemes", body), 201)


def _grant(world: World, scheme_id: str, who: str, som: int) -> None:
    service = world.runtime.service
    target = service.benefit_account_ids(scheme_id, [world.wallets[who]])[world.wallets[who]]
    payment = Transfer(accounts.transfer_id(f"grant|{scheme_id}|{who}", "disbursement"),
                       accounts.wallet_account_id(world.wallets["treasury"]), target, som * SOM, LEDGER_KGS,
                       int(TransferCode.DISBURSEMENT))
    # What the disbursement domain posts, through its gateway as the runtime wired it.
    assert filled(world.runtime.app, DISBURSEMENT).gateway.create_transfers([payment]) == [CreateTransferResult.ok]


def test_a_benefit_over_http(any_store_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world = any_store_world
    scheme = _scheme(world, ["5411"])
    assert world.ok(world.get("pensioner", f"/v1/benefit-schemes/{scheme['id']}")) == scheme
    assert scheme["categories"] == ["5411"] and scheme["created_by"] == "treasury_operator:-:treasury-clerk"
    pensioner = world.wallets["pensioner"]
    world.open_wallet("commercial_bank", "pharmacy", "merchant", 2, {"name": "Dary", "city": "Bishkek", "mcc": "5912"})
    _grant(world, scheme["id"], "pensioner", 3_000)
    world.assert_balanced()
    assert world.ok(world.get("central_bank", "/v1/issuance/summary"))["benefits_tyiyn"] == str(3_000 * SOM)

    body = {"payer_wallet_id": pensioner, "payee_wallet_id": world.wallets["merchant"], **kgs(1_000),
            "benefit_scheme_id": scheme["id"]}
    paid = world.ok(world.post("pensioner", "/v1/payments", body), 201)
    assert paid["benefit_scheme_id"] == scheme["id"]
    refused = world.post("pensioner", "/v1/payments", {**body, "payee_wallet_id": world.wallets["pharmacy"]})
    assert refused.status_code == 422
    problem = refused.json()
    assert problem["type"] == PROBLEM + "merchant-category-not-allowed"
    assert "5912" in problem["detail"] and scheme["id"] in problem["detail"]
    qr = world.ok(world.post("merchant", "/v1/qr", {"wallet_id": world.wallets["merchant"]}), 201)["payload"]
    by_qr = {"payer_wallet_id": pensioner, "payload": qr, **kgs(500), "benefit_scheme_id": scheme["id"]}
    world.ok(world.post("pensioner", "/v1/payments/qr", by_qr), 201)
    too_much = world.post("pensioner", "/v1/payments", {**body, **kgs(1_501)})
    assert too_much.status_code == 409 and too_much.json()["type"] == PROBLEM + "insufficient-funds"

    wallet = world.ok(world.get("pensioner", f"/v1/wallets/{pensioner}"))
    assert wallet["benefits"] == [{"scheme_id": scheme["id"], "name": "Groceries for pensioners",
                                   "balance_tyiyn": str(1_500 * SOM), "currency": "KGS", "categories": ["5411"],
                                   "expires_on": scheme["expires_on"]}]
    lines = world.ok(world.get("pensioner", f"/v1/wallets/{pensioner}/statement"))["items"]
    assert [(e["kind"], e["benefit_scheme_id"]) for e in lines] == [
        ("disbursement", scheme["id"]), ("benefit_payment", scheme["id"]), ("benefit_payment", scheme["id"])]
    world.assert_balanced()

    expiry = f"/v1/benefit-schemes/{scheme['id']}/expiry"
    early = world.post("treasury_operator", expiry)
    assert early.status_code == 409 and early.json()["type"] == PROBLEM + "benefit-not-expired"
    treasury_before = world.balance("treasury")
    after_last_day = date.fromisoformat(scheme["expires_on"]) + timedelta(days=1)
    monkeypatch.setattr(benefits, "today", lambda _ctx: after_last_day)
    late = world.post("pensioner", "/v1/payments", {**body, **kgs(1)})
    assert late.status_code == 409 and late.json()["type"] == PROBLEM + "benefit-expired"
    swept = world.ok(world.post("treasury_operator", expiry, key="sweep-1"))
    assert (swept["accounts_swept"], swept["returned_tyiyn"]) == (1, str(1_500 * SOM))
    again = world.post("treasury_operator", expiry, key="sweep-2")
    assert world.ok(again) == swept
    assert world.balance("treasury") == treasury_before + 1_500 * SOM
    world.assert_balanced()


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"categories": []}, 422),
        ({"categories": ["54110"]}, 422),
        ({"expires_on": "2020-01-01"}, 422),
        ({"treasury_wallet_id": "w" + "a" * 24}, 404),
        ({"surprise": 1}, 422),
    ],
)
def test_bad_schemes_are_refused(world: World, change: dict[str, Any], status: int) -> None:
    body = {"name": "x", "categories": ["5411"], "treasury_wallet_id": world.wallets["treasury"],
            "expires_on": (datetime.now(UTC).date() + timedelta(days=1)).isoformat(), **change}
    assert world.post("treasury_operator", "/v1/benefit-schemes", body).status_code == status


def test_only_the_treasury_creates_or_sweeps(world: World) -> None:
    scheme = _scheme(world, ["5411"])
    body = {"name": "x", "categories": ["5411"], "treasury_wallet_id": world.wallets["treasury"],
            "expires_on": scheme["expires_on"]}
    for who in ("central_bank", "commercial_bank", "treasury"):
        assert world.post(who, "/v1/benefit-schemes", body).status_code == 403
        assert world.post(who, f"/v1/benefit-schemes/{scheme['id']}/expiry").status_code == 403
