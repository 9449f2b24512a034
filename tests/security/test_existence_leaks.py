"""Issue 13, finding 4: answers that told a bank what exists at another bank.

A wallet of another bank (or of another holder) must get exactly the answer of a wallet
that does not exist, on every wallet-scoped route: the same status, problem type, title
and detail (the whole body). Before the fix the load ran first and the scope check
second, so another bank's wallet answered 403 and a missing one 404. Registering an
alias that another bank holds answered 409 "registered by another bank"; now
registrations are per bank, and a bank sees only its own.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import pytest
from httpx import Response

from tests.api.world import World, kgs
from tests.offline.test_api import register as register_device

PN = "21204199000123"


def _random_wallet_id() -> str:
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    return "w" + "".join(secrets.choice(alphabet) for _ in range(24))


def _qr_payload(world: World) -> str:
    made = world.ok(world.post("merchant", "/v1/qr", {"wallet_id": world.wallets["merchant"]}), 201)
    return str(made["payload"])


# (caller, method, path, body): `{w}` is the wallet asked about.
ROUTES: list[tuple[str, str, str, Callable[[World, str], Any]]] = [
    ("second_bank", "GET", "/v1/wallets/{w}", lambda _world, _w: None),
    ("second_bank", "GET", "/v1/wallets/{w}/identity", lambda _world, _w: None),
    ("second_bank", "GET", "/v1/wallets/{w}/holds", lambda _world, _w: None),
    ("second_bank", "GET", "/v1/wallets/{w}/statement", lambda _world, _w: None),
    ("second_bank", "GET", "/v1/wallets/{w}/payments", lambda _world, _w: None),
    ("second_bank", "GET", "/v1/wallets/{w}/payment-requests", lambda _world, _w: None),
    ("treasury", "GET", "/v1/wallets/{w}", lambda _world, _w: None),  # a holder of another bank
    ("merchant", "GET", "/v1/wallets/{w}/statement", lambda _world, _w: None),  # another holder, same bank
    ("second_bank", "POST", "/v1/wallets/{w}/tier", lambda _world, _w: {"tier": 1}),
    ("second_bank", "POST", "/v1/wallets/{w}/deposit-credits", lambda _world, _w: kgs(1)),
    ("second_bank", "POST", "/v1/wallets/{w}/funding", lambda _world, _w: kgs(1)),
    ("merchant", "POST", "/v1/wallets/{w}/funding", lambda _world, _w: kgs(1)),
    ("second_bank", "POST", "/v1/wallets/{w}/freeze", lambda _world, _w: {"reason": "x", "legal_order_ref": "y"}),
    ("second_bank", "POST", "/v1/wallets/{w}/unfreeze", lambda _world, _w: {"reason": "x", "legal_order_ref": "y"}),
    ("second_bank", "POST", "/v1/wallets/{w}/close", lambda _world, _w: None),
    ("second_bank", "POST", "/v1/payments",
     lambda world, w: {"payer_wallet_id": w, "payee_wallet_id": world.wallets["merchant"], **kgs(1)}),
    ("treasury", "POST", "/v1/payments/qr",
     lambda world, w: {"payer_wallet_id": w, "payload": _qr_payload(world), "currency": "KGS"}),
    ("second_bank", "POST", "/v1/payment-requests",
     lambda world, w: {"payee_wallet_id": w, "payer_wallet_id": world.wallets["merchant"], **kgs(1)}),
    ("second_bank", "POST", "/v1/qr", lambda _world, w: {"wallet_id": w}),
    ("second_bank", "PUT", f"/v1/aliases/{PN}", lambda _world, w: {"wallet_id": w}),
    ("second_bank", "POST", "/v1/offline/devices",
     lambda _world, w: {"wallet_id": w, "public_key": "11" * 32, "per_payment_max_tyiyn": "100",
                        "cumulative_max_tyiyn": "1000"}),
    ("second_bank", "POST", "/v1/offline/wallets/{w}/fundings",
     lambda _world, _w: {"device_key_id": "00" * 8, **kgs(1)}),
    ("second_bank", "POST", "/v1/taxes", lambda _world, w: {"wallet_id": w, "reference": "RF18539007547034",
                                                             **kgs(1)}),
]


def _ask(world: World, who: str, method: str, path: str, body: Any) -> Response:
    if method == "GET":
        return world.get(who, path)
    return world.client.request(method, path, json=body, headers=world.headers(who, f"k-{secrets.token_hex(8)}"))


def _same_answer(theirs: Response, missing: Response) -> None:
    context = f"{theirs.status_code} {theirs.text} != {missing.status_code} {missing.text}"
    assert theirs.status_code == missing.status_code == 404, context
    assert theirs.headers["content-type"] == missing.headers["content-type"] == "application/problem+json"
    assert theirs.json() == missing.json(), context  # type, title, status, detail: all of it


@pytest.mark.parametrize(("who", "method", "path", "body"), ROUTES, ids=[f"{r[0]} {r[1]} {r[2]}" for r in ROUTES])
def test_another_banks_wallet_answers_like_a_missing_one(
    world: World, who: str, method: str, path: str, body: Callable[[World, str], Any]
) -> None:
    pensioner, missing = world.wallets["pensioner"], _random_wallet_id()
    theirs = _ask(world, who, method, path.format(w=pensioner), body(world, pensioner))
    unknown = _ask(world, who, method, path.format(w=missing), body(world, missing))
    _same_answer(theirs, unknown)
    assert pensioner not in theirs.text and missing not in unknown.text


def test_a_tax_receipt_named_by_another_banks_wallet_answers_like_a_missing_wallet(world: World) -> None:
    path = "/v1/taxes/receipts/tax_" + "0" * 30
    _same_answer(world.get("second_bank", path, wallet_id=world.wallets["pensioner"]),
                 world.get("second_bank", path, wallet_id=_random_wallet_id()))


def test_another_banks_payment_and_request_answer_like_missing_ones(world: World) -> None:
    paid = world.ok(world.pay("treasury", "treasury", "pensioner", 10), 201)
    world.ok(world.pay("pensioner", "pensioner", "merchant", 1), 201)
    payment = world.ok(world.get("pensioner", f"/v1/wallets/{world.wallets['pensioner']}/payments"))["items"][-1]
    assert payment["id"] != paid["id"]
    asked = world.ok(world.post("merchant", "/v1/payment-requests", {
        "payee_wallet_id": world.wallets["merchant"], "payer_wallet_id": world.wallets["pensioner"], **kgs(1)}), 201)
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    for prefix, url, found in (("p", "/v1/payments/", payment["id"]), ("q", "/v1/payment-requests/", asked["id"])):
        missing = prefix + "".join(secrets.choice(alphabet) for _ in range(24))
        _same_answer(world.get("second_bank", url + found), world.get("second_bank", url + missing))


def test_another_banks_device_answers_like_a_missing_one(world: World) -> None:
    device = world.ok(register_device(world, "pensioner"), 201)
    theirs = world.post("second_bank", "/v1/offline/revocations", {"device_key_id": device["key_id"], "reason": "lost"})
    unknown = world.post("second_bank", "/v1/offline/revocations", {"device_key_id": "ab" * 8, "reason": "lost"})
    _same_answer(theirs, unknown)
    # A device of another wallet, funded through the caller's own wallet: as unknown too.
    own = f"/v1/offline/wallets/{world.wallets['merchant']}/fundings"
    _same_answer(world.post("merchant", own, {"device_key_id": device["key_id"], **kgs(1)}),
                 world.post("merchant", own, {"device_key_id": "ab" * 8, **kgs(1)}))
    assert world.ok(world.get(None, "/v1/offline/revocation-list"))["revoked_key_ids"] == []


def test_registering_a_number_another_bank_holds_answers_like_a_fresh_one(world: World) -> None:
    url = f"/v1/aliases/{PN}"
    fresh_url = "/v1/aliases/11503198500077"
    bakai_wallet = world.open_wallet("second_bank", "teacher", "individual", 1)
    world.ok(world.client.put(url, json={"wallet_id": world.wallets["pensioner"]},
                              headers=world.headers("commercial_bank", "ayil-alias")))
    taken = world.client.put(url, json={"wallet_id": bakai_wallet}, headers=world.headers("second_bank", "b-1"))
    fresh = world.client.put(fresh_url, json={"wallet_id": bakai_wallet}, headers=world.headers("second_bank", "b-2"))
    assert taken.status_code == fresh.status_code == 200, taken.text
    differing = {"personal_number", "created_at", "updated_at"}
    assert {k: v for k, v in taken.json().items() if k not in differing} == {
        k: v for k, v in fresh.json().items() if k not in differing}
    assert "AYIL" not in taken.text
    # Bakai reads back its own registration only; Ayil's is untouched and still first in line.
    assert world.ok(world.get("second_bank", url)) == taken.json()
    assert world.ok(world.get("commercial_bank", url))["wallet_id"] == world.wallets["pensioner"]
    assert world.runtime.service.resolve_aliases([PN])[PN].bank_code == "AYIL"
    # Bakai removing its registration leaves Ayil's.
    assert world.client.delete(url, headers=world.headers("second_bank", "b-3")).status_code == 204
    assert world.get("second_bank", url).status_code == 404
    assert world.ok(world.get("commercial_bank", url))["wallet_id"] == world.wallets["pensioner"]
