"""Bad input gets a typed problem, and nothing is half-written."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from digisom.api.runtime import build
from digisom.cbdc import qr
from digisom.errors import DigisomError
from digisom.ledger.submitter import QueueFull
from tests.api.world import SOM, World, kgs


def _problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"https://digisom.kg/problems/{slug}"
    assert body["status"] == status
    return body


@pytest.mark.parametrize("amount", ["0", "-5", "1.50", "01", "1e3", "1" * 16, " 5", ""])
def test_amounts_are_positive_integer_tyiyn_strings(world: World, amount: str) -> None:
    body = {"payer_wallet_id": world.wallets["treasury"], "payee_wallet_id": world.wallets["pensioner"],
            "amount_tyiyn": amount, "currency": "KGS"}
    _problem(world.post("treasury", "/v1/payments", body), 422, "invalid-request")


def test_numbers_and_other_currencies_are_refused(world: World) -> None:
    base = {"payer_wallet_id": world.wallets["treasury"], "payee_wallet_id": world.wallets["pensioner"]}
    _problem(world.post("treasury", "/v1/payments", {**base, "amount_tyiyn": 100, "currency": "KGS"}), 422,
             "invalid-request")
    _problem(world.post("treasury", "/v1/payments", {**base, "amount_tyiyn": "100", "currency": "USD"}), 422,
             "invalid-request")
    _problem(world.post("treasury", "/v1/payments", {**base, **kgs(1), "tip": "1"}), 422, "invalid-request")


def test_limit_exceeded_names_the_limit_and_the_room(world: World) -> None:
    world.ok(world.pay("treasury", "treasury", "pensioner", 14_000), 201)
    funding = world.post("pensioner", f"/v1/wallets/{world.wallets['pensioner']}/funding", kgs(1_500))
    body = _problem(funding, 422, "limit-exceeded")
    assert (body["limit"], body["limit_tyiyn"], body["remaining_tyiyn"], body["currency"]) == (
        "balance_limit_tyiyn", str(15_000 * SOM), str(1_000 * SOM), "KGS")
    assert world.balance("pensioner") == 14_000 * SOM


def test_the_monthly_inflow_limit(world: World) -> None:
    for _ in range(4):  # 40,000 som received this month, each time spent again
        world.ok(world.pay("treasury", "treasury", "pensioner", 10_000), 201)
        world.ok(world.pay("pensioner", "pensioner", "merchant", 10_000), 201)
    world.ok(world.pay("treasury", "treasury", "pensioner", 8_000), 201)
    body = _problem(world.pay("treasury", "treasury", "pensioner", 3_000), 422, "limit-exceeded")
    assert body["limit"] == "monthly_inflow_limit_tyiyn"
    assert body["remaining_tyiyn"] == str(2_000 * SOM)
    assert world.balance("pensioner") == 8_000 * SOM


def test_reverse_waterfall_without_cover_moves_nothing(world: World) -> None:
    world.ok(world.pay("treasury", "treasury", "pensioner", 100), 201)
    body = _problem(world.pay("pensioner", "pensioner", "merchant", 500), 409, "insufficient-funds")
    assert body["account"] == "linked bank account"
    assert world.balance("pensioner") == 100 * SOM
    world.assert_balanced()


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda p: p.replace("Naryn Grocery", "Naryn Grocerz"), "bad-checksum"),
        (lambda p: p[:-8].replace("5303417", "5303840") + "6304" + qr.crc16_ccitt_false(
            (p[:-8].replace("5303417", "5303840") + "6304").encode()), "wrong-currency"),
        (lambda p: p[:40], "truncated"),
        (lambda p: p + "9" * 600, "too-long"),
        (lambda p: "hello", "malformed-tlv"),
    ],
)
def test_a_tampered_qr_code_is_422_with_the_reason(world: World, mutate: Any, reason: str) -> None:
    payload = world.ok(world.post("merchant", "/v1/qr", {"wallet_id": world.wallets["merchant"]}), 201)["payload"]
    bad = mutate(payload)
    body = _problem(world.post("pensioner", "/v1/qr/decode", {"payload": bad}), 422, "invalid-qr")
    assert body["reason"] == reason
    paid = world.post("pensioner", "/v1/payments/qr", {"payer_wallet_id": world.wallets["pensioner"],
                                                       "payload": bad, **kgs(1)})
    assert _problem(paid, 422, "invalid-qr")["reason"] == reason


def test_a_qr_code_for_an_unknown_wallet_is_404(world: World) -> None:
    payload = qr.encode(qr.MerchantQr("w" + "z" * 24, "Ghost Shop", "Osh", "5411", 100))
    body = {"payer_wallet_id": world.wallets["pensioner"], "payload": payload, "currency": "KGS"}
    _problem(world.post("pensioner", "/v1/payments/qr", body), 404, "not-found")


def test_bodies_over_the_limit_are_413(world: World) -> None:
    response = world.client.post("/v1/payments", content=b"{" + b" " * 20_000 + b"}",
                                 headers={**world.headers("treasury", "big"), "Content-Type": "application/json"})
    _problem(response, 413, "payload-too-large")


def test_pages_are_bounded_and_cursors_opaque(world: World) -> None:
    _problem(world.get("central_bank", "/v1/wallets", limit=201), 422, "invalid-request")
    _problem(world.get("central_bank", "/v1/wallets", cursor="bogus"), 422, "invalid-cursor")
    first = world.ok(world.get("central_bank", "/v1/wallets", limit=2))
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = world.ok(world.get("central_bank", "/v1/wallets", limit=2, cursor=first["next_cursor"]))
    ids = [w["id"] for w in first["items"] + rest["items"]]
    assert sorted(ids) == sorted(world.wallets.values())
    mine = world.ok(world.get("commercial_bank", "/v1/wallets"))["items"]
    assert {w["holder_id"] for w in mine} == {"pensioner", "merchant"}


def test_unknown_routes_and_methods_are_problems(world: World) -> None:
    _problem(world.get("central_bank", "/v1/nothing-here"), 404, "not-found")
    _problem(world.client.delete("/v1/payments"), 405, "method-not-allowed")


def test_a_long_string_is_refused(world: World) -> None:
    body = {"payer_wallet_id": world.wallets["treasury"], "payee_wallet_id": world.wallets["pensioner"], **kgs(1),
            "reference": "x" * 141}
    _problem(world.post("treasury", "/v1/payments", body), 422, "invalid-request")


def test_a_policy_file_changes_the_limits(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[tiers.0]\nname = "pilot"\nbalance_limit_tyiyn = 500\n[tiers.2]\nname = "full"\n')
    runtime = build(data_dir=tmp_path / "data", policy_path=policy)
    try:
        world = World.create(runtime)
        tiers = world.ok(world.get(None, "/v1/policy"))["tiers"]
        assert tiers[0] == {"tier": 0, "name": "pilot", "currency": "KGS", "balance_limit_tyiyn": "500",
                            "monthly_inflow_limit_tyiyn": None, "payment_limit_tyiyn": None}
        world.setup()
        paid = world.ok(world.pay("treasury", "treasury", "pensioner", 10), 201)
        assert paid["waterfall_tyiyn"] == str(10 * SOM - 500)
    finally:
        runtime.close()


def test_a_forged_cursor_past_any_position_is_refused(world: World) -> None:
    forged = base64.urlsafe_b64encode(b"c1:99999999999999999999").decode().rstrip("=")
    path = f"/v1/wallets/{world.wallets['treasury']}/statement"
    _problem(world.get("treasury", path, cursor=forged), 422, "invalid-cursor")
    last = base64.urlsafe_b64encode(f"c1:{2**63 - 2}".encode()).decode().rstrip("=")
    assert world.ok(world.get("treasury", path, cursor=last))["items"] == []


def test_a_full_ledger_queue_is_503_and_a_stray_typed_error_422(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def overloaded(*_args: Any, **_kwargs: Any) -> Any:
        raise QueueFull("ledger queue full")

    monkeypatch.setattr(world.runtime.service, "pay", overloaded)
    _problem(world.pay("treasury", "treasury", "pensioner", 1), 503, "unavailable")

    def refused(*_args: Any, **_kwargs: Any) -> Any:
        raise DigisomError("a boundary error no domain mapped")

    monkeypatch.setattr(world.runtime.service, "pay", refused)
    assert _problem(world.pay("treasury", "treasury", "pensioner", 1), 422, "invalid-request")["detail"]
