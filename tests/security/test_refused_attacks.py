"""Attacks a security review tried that were already refused, kept here so that they
stay refused: forged, expired and algorithm-confused tokens, cross-bank access, bad
amounts, concurrent double spends, idempotency races, XML attacks and cursor tampering.

Each probe checks two things: the answer is a refusal with a problem type, and nothing
moved (balances, circulation, the holds list). Cross-bank refusals may be 403 or 404:
what matters is that the answer carries nothing of the other bank's data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from digisom.http.auth import AUDIENCE, ISSUER, TokenIssuer
from digisom.kernel.access import Role
from tests.api.world import AYIL, SOM, World, kgs
from tests.interbank.test_bad_input import BILLION_LAUGHS, XXE, XXE_PARAMETER_ENTITY

PROBLEMS = "https://digisom.kg/problems/"
REFUSED_ACROSS_BANKS = {403, 404}


def _claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {"iss": ISSUER, "aud": AUDIENCE, "sub": "ayil-teller", "role": "bank_operator",
                                 "bank": AYIL, "iat": now, "nbf": now, "exp": now + 600}
    claims.update(overrides)
    return claims


def _public_key_pem(world: World) -> bytes:
    return world.runtime.issuer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def _segment(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _forged_tokens(world: World) -> dict[str, str]:
    """Tokens an attacker can make without the server's private key."""
    server_key = world.runtime.issuer.key
    stranger = Ed25519PrivateKey.generate()
    # HMAC keyed with the server's *public* key: the classic algorithm confusion.
    hmac_signing_input = f"{_segment({'alg': 'HS256', 'typ': 'JWT'})}.{_segment(_claims())}"
    hmac_signature = base64.urlsafe_b64encode(
        hmac.new(_public_key_pem(world), hmac_signing_input.encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
    head, _payload, signature = TokenIssuer(server_key).issue(Role.BANK_OPERATOR, "ayil-teller", AYIL).split(".")
    return {
        "another key": jwt.encode(_claims(), stranger, algorithm="EdDSA"),
        "alg none": f"{_segment({'alg': 'none', 'typ': 'JWT'})}.{_segment(_claims())}.",
        "hmac with the public key": f"{hmac_signing_input}.{hmac_signature}",
        "payload swapped under a real signature":
            f"{head}.{_segment(_claims(role='central_bank_operator', bank=None))}.{signature}",
        "expired": jwt.encode(_claims(exp=int(time.time()) - 5), server_key, algorithm="EdDSA"),
        "not yet valid": jwt.encode(_claims(nbf=int(time.time()) + 3600), server_key, algorithm="EdDSA"),
        "other audience": jwt.encode(_claims(aud="elsewhere"), server_key, algorithm="EdDSA"),
        "garbage": "not-a-token",
    }


@pytest.mark.parametrize("name", ["another key", "alg none", "hmac with the public key",
                                  "payload swapped under a real signature", "expired", "not yet valid",
                                  "other audience", "garbage"])
def test_a_forged_or_stale_token_moves_nothing(world: World, name: str) -> None:
    token = _forged_tokens(world)[name]
    before = world.assert_balanced()
    response = world.client.post("/v1/issuance/issues", json={"bank_code": AYIL, **kgs(1_000)},
                                 headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "forged-1"})
    assert response.status_code == 401, response.text
    assert response.json()["type"] == PROBLEMS + "unauthorized"
    assert world.assert_balanced() == before


def _cross_bank_writes(world: World) -> list[tuple[str, dict[str, Any]]]:
    """Writes Bakai Bank's operator tries on Ayil Bank's customers' wallets."""
    pensioner = world.wallets["pensioner"]
    return [
        (f"/v1/wallets/{pensioner}/freeze", {"reason": "probe", "legal_order_ref": "CO-1"}),
        (f"/v1/wallets/{pensioner}/deposit-credits", kgs(5)),
        (f"/v1/wallets/{pensioner}/funding", kgs(5)),
        (f"/v1/wallets/{pensioner}/tier", {"tier": 2}),
        (f"/v1/wallets/{pensioner}/close", {}),
        ("/v1/payments", {"payer_wallet_id": pensioner, "payee_wallet_id": world.wallets["treasury"], **kgs(1)}),
    ]


def test_another_bank_cannot_touch_a_customers_wallet(world: World) -> None:
    world.ok(world.pay("treasury", "treasury", "pensioner", 50), 201)
    before = (world.balance("pensioner"), world.assert_balanced())
    for path, body in _cross_bank_writes(world):
        response = world.post("second_bank", path, body)
        assert response.status_code in REFUSED_ACROSS_BANKS, (path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "Pensioner" not in response.text and "balance" not in response.text.lower()
    assert (world.balance("pensioner"), world.assert_balanced()) == before
    holds = world.ok(world.get("commercial_bank", f"/v1/wallets/{world.wallets['pensioner']}/holds"))
    assert holds["items"] == []
    for path in ("identity", "statement", "holds", "payments"):
        response = world.get("second_bank", f"/v1/wallets/{world.wallets['pensioner']}/{path}")
        assert response.status_code in REFUSED_ACROSS_BANKS, (path, response.text)
        assert "Pensioner" not in response.text


def test_a_holder_cannot_pay_from_another_holders_wallet(world: World) -> None:
    world.ok(world.pay("treasury", "treasury", "pensioner", 50), 201)
    before = world.balance("pensioner")
    response = world.pay("merchant", "pensioner", "merchant", 10)
    assert response.status_code in REFUSED_ACROSS_BANKS, response.text
    assert world.balance("pensioner") == before


@pytest.mark.parametrize("amount", ["-100", "0", "1.5", "1e3", " 100", "0x10", "１００", "9" * 16, "100\x00",
                                    "NaN", "Infinity"])
def test_a_bad_amount_moves_nothing(world: World, amount: str) -> None:
    before = (world.balance("pensioner"), world.assert_balanced())
    body = {"payer_wallet_id": world.wallets["treasury"], "payee_wallet_id": world.wallets["pensioner"],
            "amount_tyiyn": amount, "currency": "KGS"}
    response = world.post("treasury", "/v1/payments", body)
    assert response.status_code == 422, response.text
    assert (world.balance("pensioner"), world.assert_balanced()) == before


@pytest.mark.parametrize("amount", [100, 1.5, None, True, ["100"], {"v": "100"}])
def test_an_amount_that_is_not_a_string_moves_nothing(world: World, amount: object) -> None:
    body = {"payer_wallet_id": world.wallets["treasury"], "payee_wallet_id": world.wallets["pensioner"],
            "amount_tyiyn": amount, "currency": "KGS"}
    assert world.post("treasury", "/v1/payments", body).status_code == 422
    assert world.balance("pensioner") == 0


def test_concurrent_spends_of_one_balance_never_overdraw(world: World) -> None:
    """Twelve different payments of 30 som race for a 100 som balance: at most three settle."""
    world.ok(world.pay("treasury", "treasury", "pensioner", 100), 201)

    def spend(number: int) -> int:
        with TestClient(world.runtime.app) as client:
            body = {"payer_wallet_id": world.wallets["pensioner"], "payee_wallet_id": world.wallets["merchant"],
                    **kgs(30)}
            return client.post("/v1/payments", json=body,
                               headers=world.headers("pensioner", f"race-{number}")).status_code

    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(spend, range(12)))
    assert statuses.count(201) == 3, statuses
    assert world.balance("pensioner") == 10 * SOM
    assert world.balance("merchant") == 90 * SOM
    world.assert_balanced()


def test_an_idempotency_key_race_with_two_bodies_settles_one(world: World) -> None:
    """One key, two different bodies, sent at once: one is paid, the other refused or replayed."""
    def attempt(som: int) -> tuple[int, str]:
        with TestClient(world.runtime.app) as client:
            body = {"payer_wallet_id": world.wallets["treasury"], "payee_wallet_id": world.wallets["pensioner"],
                    **kgs(som)}
            response = client.post("/v1/payments", json=body, headers=world.headers("treasury", "one-key"))
            return response.status_code, response.text

    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(attempt, [7, 8] * 6))
    assert {status for status, _ in answers} <= {201, 409, 422}
    assert world.balance("pensioner") in (7 * SOM, 8 * SOM)
    world.assert_balanced()


@pytest.mark.parametrize("xml", [BILLION_LAUGHS, XXE, XXE_PARAMETER_ENTITY])
def test_xml_attacks_on_a_disbursement_file_are_refused(world: World, xml: bytes) -> None:
    programme = {"id": "probe", "name": "Probe", "budget_tyiyn": "100000", "currency": "KGS",
                 "source_wallet_id": world.wallets["treasury"]}
    world.ok(world.post("treasury_operator", "/v1/disbursement/programmes", programme), 201)
    response = world.client.post(
        "/v1/disbursement/programmes/probe/runs", content=xml, params={"period": "2026-12"},
        headers={**world.headers("treasury_operator", "xml-probe"), "content-type": "application/xml"})
    assert 400 <= response.status_code < 500, response.text
    assert "root:" not in response.text  # /etc/passwd never echoed


@pytest.mark.parametrize("cursor", ["AAAA", "x" * 100, "eyJhZnRlciI6IDk5OTk5OTk5OTk5fQ", "../../etc/passwd",
                                    "\u202e", "-1"])
def test_a_tampered_cursor_is_refused_or_empty(world: World, cursor: str) -> None:
    response = world.get("commercial_bank", "/v1/wallets", cursor=cursor)
    assert response.status_code in (200, 422), response.text
    if response.status_code == 200:
        visible = {item["id"] for item in response.json()["items"]}
        assert world.wallets["treasury"] not in visible  # never another bank's wallet


def test_a_key_file_of_the_server_is_never_served(world: World, tmp_path: Path) -> None:
    for path in ("/api-signing-key.pem", "/../api-signing-key.pem", "/v1/../api-signing-key.pem",
                 "/.data/digisom.db"):
        response = world.client.get(path)
        assert response.status_code == 404
        assert b"PRIVATE KEY" not in response.content
